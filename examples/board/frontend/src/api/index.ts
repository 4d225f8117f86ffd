/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

export * from "./client";
export * from "./query";
export * from "./types";
export * from "./comments";
export * from "./members";
export * from "./projects";
export * from "./tags";
export * from "./tasks";
export * from "./users";
export * from "./endpoints";

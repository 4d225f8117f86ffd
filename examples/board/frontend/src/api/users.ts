/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* users: the API of models/user.toml (/api/users). */
import { getCall, listCall } from "./client";
import { infiniteListQuery, listQuery, queryKeys, rowQuery } from "./query";
import type { User, UserListParams, UserPage } from "./types";

/** The query keys of users (QueryKeys, query.ts). */
export const userKeys = queryKeys<UserListParams>("users");

/** GET /api/users: a page of users. */
export const listUsers = listCall<UserListParams, UserPage>("/api/users");
/** GET /api/users/{id}: a user. */
export const getUser = getCall<User>("/api/users");

/** A page of users, cached under userKeys.list(params). */
export const useListUsers = listQuery(userKeys, listUsers);
/** Every page of users, one cursor after the other. */
export const useListUsersInfinite = infiniteListQuery(userKeys, listUsers);
/** Reads a user, cached under userKeys.detail(id). */
export const useGetUser = rowQuery(userKeys, getUser);

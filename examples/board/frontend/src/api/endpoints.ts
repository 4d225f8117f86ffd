/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* The api/ handlers with an endpoint schema (api/NAME.toml). */
import { request, type CallOptions } from "./client";
import type * as T from "./types";

/** The tasks of a project: GET /api/projects/{id}/tasks (api/projects/[id]/tasks.toml). */
export function getProjectsByIdTasks(
  input: {
    path: T.ProjectTasksPath;
    query?: T.ProjectTasksQuery;
  },
  options?: CallOptions,
): Promise<T.Task[]> {
  const path = `/api/projects/${encodeURIComponent(String(input.path.id))}/tasks`;
  return request<T.Task[]>("GET", path, {
    ...options,
    query: input.query,
  });
}

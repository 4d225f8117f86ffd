/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* projects: the API of models/project.toml (/api/projects). */
import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
} from "@tanstack/react-query";

import { request, type ApiError, type CallOptions } from "./client";
import type {
  Project,
  ProjectInput,
  ProjectListParams,
  ProjectPage,
  ProjectPatch,
} from "./types";
import type { InfiniteOptions, MutationOptions, QueryOptions } from "./query";

/**
 * The query keys of projects. Invalidate projectKeys.all to refetch
 * everything about them, projectKeys.lists() for every list, projectKeys.detail(id)
 * for one row.
 */
export const projectKeys = {
  all: ["projects"] as const,
  lists: () => [...projectKeys.all, "list"] as const,
  list: (params: ProjectListParams = {}) =>
    [...projectKeys.lists(), params] as const,
  infinite: (params: ProjectListParams = {}) =>
    [...projectKeys.lists(), "infinite", params] as const,
  details: () => [...projectKeys.all, "detail"] as const,
  detail: (id: number) => [...projectKeys.details(), id] as const,
};

/** GET /api/projects: a page of projects. */
export function listProjects(
  params: ProjectListParams = {},
  options?: CallOptions,
): Promise<ProjectPage> {
  return request<ProjectPage>("GET", "/api/projects", {
    ...options,
    query: params,
  });
}

/** GET /api/projects/{id}: a project. */
export function getProject(id: number, options?: CallOptions): Promise<Project> {
  return request<Project>("GET", `/api/projects/${id}`, options);
}

/** POST /api/projects: creates a project and answers it. */
export function createProject(
  body: ProjectInput,
  options?: CallOptions,
): Promise<Project> {
  return request<Project>("POST", "/api/projects", { ...options, body });
}

/** PUT /api/projects/{id}: replaces a project (pass If-Match in options.headers
    to refuse a lost update). */
export function updateProject(
  id: number,
  body: ProjectInput,
  options?: CallOptions,
): Promise<Project> {
  return request<Project>("PUT", `/api/projects/${id}`, { ...options, body });
}

/** PATCH /api/projects/{id}: changes the fields given of a project. */
export function patchProject(
  id: number,
  body: ProjectPatch,
  options?: CallOptions,
): Promise<Project> {
  return request<Project>("PATCH", `/api/projects/${id}`, {
    ...options,
    body,
    contentType: "application/merge-patch+json",
  });
}

/** DELETE /api/projects/{id}: deletes a project. */
export function deleteProject(id: number, options?: CallOptions): Promise<void> {
  return request<void>("DELETE", `/api/projects/${id}`, options);
}

/** A page of projects, cached under projectKeys.list(params). */
export function useListProjects(
  params: ProjectListParams = {},
  options?: QueryOptions<ProjectPage>,
) {
  return useQuery<ProjectPage, ApiError>({
    ...options,
    queryKey: projectKeys.list(params),
    queryFn: ({ signal }) => listProjects(params, { signal }),
  });
}

/**
 * Every page of projects, one cursor after the other: fetchNextPage() reads the
 * next while hasNextPage; data.pages holds them.
 */
export function useListProjectsInfinite(
  params: Omit<ProjectListParams, "cursor" | "offset"> = {},
  options?: InfiniteOptions<ProjectPage>,
) {
  return useInfiniteQuery<
    ProjectPage,
    ApiError,
    InfiniteData<ProjectPage, string | null>,
    readonly unknown[],
    string | null
  >({
    ...options,
    queryKey: projectKeys.infinite(params),
    queryFn: ({ pageParam, signal }) =>
      listProjects({ ...params, cursor: pageParam ?? undefined }, { signal }),
    initialPageParam: null,
    getNextPageParam: (page) => page.next,
  });
}

/** Reads a project, cached under projectKeys.detail(id). */
export function useGetProject(id: number, options?: QueryOptions<Project>) {
  return useQuery<Project, ApiError>({
    ...options,
    queryKey: projectKeys.detail(id),
    queryFn: ({ signal }) => getProject(id, { signal }),
  });
}

/** Creates a project; every list of projects is refetched. */
export function useCreateProject(options?: MutationOptions<Project, ProjectInput>) {
  const queryClient = useQueryClient();
  return useMutation<Project, ApiError, ProjectInput>({
    ...options,
    mutationFn: (body) => createProject(body),
    onSuccess: async (row, ...rest) => {
      await queryClient.invalidateQueries({ queryKey: projectKeys.lists() });
      await options?.onSuccess?.(row, ...rest);
    },
  });
}

/** Replaces a project; its detail and every list are refetched. */
export function useUpdateProject(
  options?: MutationOptions<Project, { id: number; body: ProjectInput }>,
) {
  const queryClient = useQueryClient();
  return useMutation<Project, ApiError, { id: number; body: ProjectInput }>({
    ...options,
    mutationFn: ({ id, body }) => updateProject(id, body),
    onSuccess: async (row, vars, ...rest) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: projectKeys.lists() }),
        queryClient.invalidateQueries({ queryKey: projectKeys.detail(vars.id) }),
      ]);
      await options?.onSuccess?.(row, vars, ...rest);
    },
  });
}

/** Changes part of a project; its detail and every list are refetched. */
export function usePatchProject(
  options?: MutationOptions<Project, { id: number; body: ProjectPatch }>,
) {
  const queryClient = useQueryClient();
  return useMutation<Project, ApiError, { id: number; body: ProjectPatch }>({
    ...options,
    mutationFn: ({ id, body }) => patchProject(id, body),
    onSuccess: async (row, vars, ...rest) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: projectKeys.lists() }),
        queryClient.invalidateQueries({ queryKey: projectKeys.detail(vars.id) }),
      ]);
      await options?.onSuccess?.(row, vars, ...rest);
    },
  });
}

/** Deletes a project; its detail is dropped and every list refetched. */
export function useDeleteProject(options?: MutationOptions<void, number>) {
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, number>({
    ...options,
    mutationFn: (id) => deleteProject(id),
    onSuccess: async (nothing, id, ...rest) => {
      queryClient.removeQueries({ queryKey: projectKeys.detail(id) });
      await queryClient.invalidateQueries({ queryKey: projectKeys.lists() });
      await options?.onSuccess?.(nothing, id, ...rest);
    },
  });
}

/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* tasks: the API of models/task.toml (/api/tasks). */
import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
} from "@tanstack/react-query";

import { request, type ApiError, type CallOptions } from "./client";
import type {
  Task,
  TaskInput,
  TaskListParams,
  TaskPage,
  TaskPatch,
} from "./types";
import type { InfiniteOptions, MutationOptions, QueryOptions } from "./query";

/**
 * The query keys of tasks. Invalidate taskKeys.all to refetch
 * everything about them, taskKeys.lists() for every list, taskKeys.detail(id)
 * for one row.
 */
export const taskKeys = {
  all: ["tasks"] as const,
  lists: () => [...taskKeys.all, "list"] as const,
  list: (params: TaskListParams = {}) =>
    [...taskKeys.lists(), params] as const,
  infinite: (params: TaskListParams = {}) =>
    [...taskKeys.lists(), "infinite", params] as const,
  details: () => [...taskKeys.all, "detail"] as const,
  detail: (id: number) => [...taskKeys.details(), id] as const,
};

/** GET /api/tasks: a page of tasks. */
export function listTasks(
  params: TaskListParams = {},
  options?: CallOptions,
): Promise<TaskPage> {
  return request<TaskPage>("GET", "/api/tasks", {
    ...options,
    query: params,
  });
}

/** GET /api/tasks/{id}: a task. */
export function getTask(id: number, options?: CallOptions): Promise<Task> {
  return request<Task>("GET", `/api/tasks/${id}`, options);
}

/** POST /api/tasks: creates a task and answers it. */
export function createTask(
  body: TaskInput,
  options?: CallOptions,
): Promise<Task> {
  return request<Task>("POST", "/api/tasks", { ...options, body });
}

/** PUT /api/tasks/{id}: replaces a task (pass If-Match in options.headers
    to refuse a lost update). */
export function updateTask(
  id: number,
  body: TaskInput,
  options?: CallOptions,
): Promise<Task> {
  return request<Task>("PUT", `/api/tasks/${id}`, { ...options, body });
}

/** PATCH /api/tasks/{id}: changes the fields given of a task. */
export function patchTask(
  id: number,
  body: TaskPatch,
  options?: CallOptions,
): Promise<Task> {
  return request<Task>("PATCH", `/api/tasks/${id}`, {
    ...options,
    body,
    contentType: "application/merge-patch+json",
  });
}

/** DELETE /api/tasks/{id}: deletes a task. */
export function deleteTask(id: number, options?: CallOptions): Promise<void> {
  return request<void>("DELETE", `/api/tasks/${id}`, options);
}

/** A page of tasks, cached under taskKeys.list(params). */
export function useListTasks(
  params: TaskListParams = {},
  options?: QueryOptions<TaskPage>,
) {
  return useQuery<TaskPage, ApiError>({
    ...options,
    queryKey: taskKeys.list(params),
    queryFn: ({ signal }) => listTasks(params, { signal }),
  });
}

/**
 * Every page of tasks, one cursor after the other: fetchNextPage() reads the
 * next while hasNextPage; data.pages holds them.
 */
export function useListTasksInfinite(
  params: Omit<TaskListParams, "cursor" | "offset"> = {},
  options?: InfiniteOptions<TaskPage>,
) {
  return useInfiniteQuery<
    TaskPage,
    ApiError,
    InfiniteData<TaskPage, string | null>,
    readonly unknown[],
    string | null
  >({
    ...options,
    queryKey: taskKeys.infinite(params),
    queryFn: ({ pageParam, signal }) =>
      listTasks({ ...params, cursor: pageParam ?? undefined }, { signal }),
    initialPageParam: null,
    getNextPageParam: (page) => page.next,
  });
}

/** Reads a task, cached under taskKeys.detail(id). */
export function useGetTask(id: number, options?: QueryOptions<Task>) {
  return useQuery<Task, ApiError>({
    ...options,
    queryKey: taskKeys.detail(id),
    queryFn: ({ signal }) => getTask(id, { signal }),
  });
}

/** Creates a task; every list of tasks is refetched. */
export function useCreateTask(options?: MutationOptions<Task, TaskInput>) {
  const queryClient = useQueryClient();
  return useMutation<Task, ApiError, TaskInput>({
    ...options,
    mutationFn: (body) => createTask(body),
    onSuccess: async (row, ...rest) => {
      await queryClient.invalidateQueries({ queryKey: taskKeys.lists() });
      await options?.onSuccess?.(row, ...rest);
    },
  });
}

/** Replaces a task; its detail and every list are refetched. */
export function useUpdateTask(
  options?: MutationOptions<Task, { id: number; body: TaskInput }>,
) {
  const queryClient = useQueryClient();
  return useMutation<Task, ApiError, { id: number; body: TaskInput }>({
    ...options,
    mutationFn: ({ id, body }) => updateTask(id, body),
    onSuccess: async (row, vars, ...rest) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: taskKeys.lists() }),
        queryClient.invalidateQueries({ queryKey: taskKeys.detail(vars.id) }),
      ]);
      await options?.onSuccess?.(row, vars, ...rest);
    },
  });
}

/** Changes part of a task; its detail and every list are refetched. */
export function usePatchTask(
  options?: MutationOptions<Task, { id: number; body: TaskPatch }>,
) {
  const queryClient = useQueryClient();
  return useMutation<Task, ApiError, { id: number; body: TaskPatch }>({
    ...options,
    mutationFn: ({ id, body }) => patchTask(id, body),
    onSuccess: async (row, vars, ...rest) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: taskKeys.lists() }),
        queryClient.invalidateQueries({ queryKey: taskKeys.detail(vars.id) }),
      ]);
      await options?.onSuccess?.(row, vars, ...rest);
    },
  });
}

/** Deletes a task; its detail is dropped and every list refetched. */
export function useDeleteTask(options?: MutationOptions<void, number>) {
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, number>({
    ...options,
    mutationFn: (id) => deleteTask(id),
    onSuccess: async (nothing, id, ...rest) => {
      queryClient.removeQueries({ queryKey: taskKeys.detail(id) });
      await queryClient.invalidateQueries({ queryKey: taskKeys.lists() });
      await options?.onSuccess?.(nothing, id, ...rest);
    },
  });
}

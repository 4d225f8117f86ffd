/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* tasks: the API of models/task.toml (/api/tasks). */
import {
  createCall,
  deleteCall,
  getCall,
  listCall,
  patchCall,
  updateCall,
} from "./client";
import {
  createMutation,
  deleteMutation,
  infiniteListQuery,
  listQuery,
  queryKeys,
  rowQuery,
  updateMutation,
} from "./query";
import type {
  Task,
  TaskInput,
  TaskListParams,
  TaskPage,
  TaskPatch,
} from "./types";

/** The query keys of tasks (QueryKeys, query.ts). */
export const taskKeys = queryKeys<TaskListParams>("tasks");

/** GET /api/tasks: a page of tasks. */
export const listTasks = listCall<TaskListParams, TaskPage>("/api/tasks");
/** GET /api/tasks/{id}: a task. */
export const getTask = getCall<Task>("/api/tasks");
/** POST /api/tasks: creates a task and answers it. */
export const createTask = createCall<TaskInput, Task>("/api/tasks");
/** PUT /api/tasks/{id}: replaces a task. */
export const updateTask = updateCall<TaskInput, Task>("/api/tasks");
/** PATCH /api/tasks/{id}: changes the fields given of a task. */
export const patchTask = patchCall<TaskPatch, Task>("/api/tasks");
/** DELETE /api/tasks/{id}: deletes a task. */
export const deleteTask = deleteCall("/api/tasks");

/** A page of tasks, cached under taskKeys.list(params). */
export const useListTasks = listQuery(taskKeys, listTasks);
/** Every page of tasks, one cursor after the other. */
export const useListTasksInfinite = infiniteListQuery(taskKeys, listTasks);
/** Reads a task, cached under taskKeys.detail(id). */
export const useGetTask = rowQuery(taskKeys, getTask);
/** Creates a task; every list of tasks is refetched. */
export const useCreateTask = createMutation(taskKeys, createTask);
/** Replaces a task; its detail and every list are refetched. */
export const useUpdateTask = updateMutation(taskKeys, updateTask);
/** Changes part of a task; its detail and every list are refetched. */
export const usePatchTask = updateMutation(taskKeys, patchTask);
/** Deletes a task; its detail is dropped and every list refetched. */
export const useDeleteTask = deleteMutation(taskKeys, deleteTask);

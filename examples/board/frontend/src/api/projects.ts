/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* projects: the API of models/project.toml (/api/projects). */
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
  Project,
  ProjectInput,
  ProjectListParams,
  ProjectPage,
  ProjectPatch,
} from "./types";

/** The query keys of projects (QueryKeys, query.ts). */
export const projectKeys = queryKeys<ProjectListParams>("projects");

/** GET /api/projects: a page of projects. */
export const listProjects =
  listCall<ProjectListParams, ProjectPage>("/api/projects");
/** GET /api/projects/{id}: a project. */
export const getProject = getCall<Project>("/api/projects");
/** POST /api/projects: creates a project and answers it. */
export const createProject = createCall<ProjectInput, Project>("/api/projects");
/** PUT /api/projects/{id}: replaces a project. */
export const updateProject = updateCall<ProjectInput, Project>("/api/projects");
/** PATCH /api/projects/{id}: changes the fields given of a project. */
export const patchProject = patchCall<ProjectPatch, Project>("/api/projects");
/** DELETE /api/projects/{id}: deletes a project. */
export const deleteProject = deleteCall("/api/projects");

/** A page of projects, cached under projectKeys.list(params). */
export const useListProjects = listQuery(projectKeys, listProjects);
/** Every page of projects, one cursor after the other. */
export const useListProjectsInfinite =
  infiniteListQuery(projectKeys, listProjects);
/** Reads a project, cached under projectKeys.detail(id). */
export const useGetProject = rowQuery(projectKeys, getProject);
/** Creates a project; every list of projects is refetched. */
export const useCreateProject = createMutation(projectKeys, createProject);
/** Replaces a project; its detail and every list are refetched. */
export const useUpdateProject = updateMutation(projectKeys, updateProject);
/** Changes part of a project; its detail and every list are refetched. */
export const usePatchProject = updateMutation(projectKeys, patchProject);
/** Deletes a project; its detail is dropped and every list refetched. */
export const useDeleteProject = deleteMutation(projectKeys, deleteProject);

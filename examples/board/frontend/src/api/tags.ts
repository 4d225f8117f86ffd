/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* tags: the API of models/tag.toml (/api/tags). */
import { createCall, deleteCall, getCall, listCall } from "./client";
import {
  createMutation,
  deleteMutation,
  infiniteListQuery,
  listQuery,
  queryKeys,
  rowQuery,
} from "./query";
import type { Tag, TagInput, TagListParams, TagPage } from "./types";

/** The query keys of tags (QueryKeys, query.ts). */
export const tagKeys = queryKeys<TagListParams>("tags");

/** GET /api/tags: a page of tags. */
export const listTags = listCall<TagListParams, TagPage>("/api/tags");
/** GET /api/tags/{id}: a tag. */
export const getTag = getCall<Tag>("/api/tags");
/** POST /api/tags: creates a tag and answers it. */
export const createTag = createCall<TagInput, Tag>("/api/tags");
/** DELETE /api/tags/{id}: deletes a tag. */
export const deleteTag = deleteCall("/api/tags");

/** A page of tags, cached under tagKeys.list(params). */
export const useListTags = listQuery(tagKeys, listTags);
/** Every page of tags, one cursor after the other. */
export const useListTagsInfinite = infiniteListQuery(tagKeys, listTags);
/** Reads a tag, cached under tagKeys.detail(id). */
export const useGetTag = rowQuery(tagKeys, getTag);
/** Creates a tag; every list of tags is refetched. */
export const useCreateTag = createMutation(tagKeys, createTag);
/** Deletes a tag; its detail is dropped and every list refetched. */
export const useDeleteTag = deleteMutation(tagKeys, deleteTag);

/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* tags: the API of models/tag.toml (/api/tags). */
import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
} from "@tanstack/react-query";

import { request, type ApiError, type CallOptions } from "./client";
import type { Tag, TagInput, TagListParams, TagPage } from "./types";
import type { InfiniteOptions, MutationOptions, QueryOptions } from "./query";

/**
 * The query keys of tags. Invalidate tagKeys.all to refetch
 * everything about them, tagKeys.lists() for every list, tagKeys.detail(id)
 * for one row.
 */
export const tagKeys = {
  all: ["tags"] as const,
  lists: () => [...tagKeys.all, "list"] as const,
  list: (params: TagListParams = {}) =>
    [...tagKeys.lists(), params] as const,
  infinite: (params: TagListParams = {}) =>
    [...tagKeys.lists(), "infinite", params] as const,
  details: () => [...tagKeys.all, "detail"] as const,
  detail: (id: number) => [...tagKeys.details(), id] as const,
};

/** GET /api/tags: a page of tags. */
export function listTags(
  params: TagListParams = {},
  options?: CallOptions,
): Promise<TagPage> {
  return request<TagPage>("GET", "/api/tags", {
    ...options,
    query: params,
  });
}

/** GET /api/tags/{id}: a tag. */
export function getTag(id: number, options?: CallOptions): Promise<Tag> {
  return request<Tag>("GET", `/api/tags/${id}`, options);
}

/** POST /api/tags: creates a tag and answers it. */
export function createTag(
  body: TagInput,
  options?: CallOptions,
): Promise<Tag> {
  return request<Tag>("POST", "/api/tags", { ...options, body });
}

/** DELETE /api/tags/{id}: deletes a tag. */
export function deleteTag(id: number, options?: CallOptions): Promise<void> {
  return request<void>("DELETE", `/api/tags/${id}`, options);
}

/** A page of tags, cached under tagKeys.list(params). */
export function useListTags(
  params: TagListParams = {},
  options?: QueryOptions<TagPage>,
) {
  return useQuery<TagPage, ApiError>({
    ...options,
    queryKey: tagKeys.list(params),
    queryFn: ({ signal }) => listTags(params, { signal }),
  });
}

/**
 * Every page of tags, one cursor after the other: fetchNextPage() reads the
 * next while hasNextPage; data.pages holds them.
 */
export function useListTagsInfinite(
  params: Omit<TagListParams, "cursor" | "offset"> = {},
  options?: InfiniteOptions<TagPage>,
) {
  return useInfiniteQuery<
    TagPage,
    ApiError,
    InfiniteData<TagPage, string | null>,
    readonly unknown[],
    string | null
  >({
    ...options,
    queryKey: tagKeys.infinite(params),
    queryFn: ({ pageParam, signal }) =>
      listTags({ ...params, cursor: pageParam ?? undefined }, { signal }),
    initialPageParam: null,
    getNextPageParam: (page) => page.next,
  });
}

/** Reads a tag, cached under tagKeys.detail(id). */
export function useGetTag(id: number, options?: QueryOptions<Tag>) {
  return useQuery<Tag, ApiError>({
    ...options,
    queryKey: tagKeys.detail(id),
    queryFn: ({ signal }) => getTag(id, { signal }),
  });
}

/** Creates a tag; every list of tags is refetched. */
export function useCreateTag(options?: MutationOptions<Tag, TagInput>) {
  const queryClient = useQueryClient();
  return useMutation<Tag, ApiError, TagInput>({
    ...options,
    mutationFn: (body) => createTag(body),
    onSuccess: async (row, ...rest) => {
      await queryClient.invalidateQueries({ queryKey: tagKeys.lists() });
      await options?.onSuccess?.(row, ...rest);
    },
  });
}

/** Deletes a tag; its detail is dropped and every list refetched. */
export function useDeleteTag(options?: MutationOptions<void, number>) {
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, number>({
    ...options,
    mutationFn: (id) => deleteTag(id),
    onSuccess: async (nothing, id, ...rest) => {
      queryClient.removeQueries({ queryKey: tagKeys.detail(id) });
      await queryClient.invalidateQueries({ queryKey: tagKeys.lists() });
      await options?.onSuccess?.(nothing, id, ...rest);
    },
  });
}

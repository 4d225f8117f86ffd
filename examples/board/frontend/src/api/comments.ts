/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* comments: the API of models/comment.toml (/api/comments). */
import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
} from "@tanstack/react-query";

import { request, type ApiError, type CallOptions } from "./client";
import type {
  Comment,
  CommentInput,
  CommentListParams,
  CommentPage,
} from "./types";
import type { InfiniteOptions, MutationOptions, QueryOptions } from "./query";

/**
 * The query keys of comments. Invalidate commentKeys.all to refetch
 * everything about them, commentKeys.lists() for every list, commentKeys.detail(id)
 * for one row.
 */
export const commentKeys = {
  all: ["comments"] as const,
  lists: () => [...commentKeys.all, "list"] as const,
  list: (params: CommentListParams = {}) =>
    [...commentKeys.lists(), params] as const,
  infinite: (params: CommentListParams = {}) =>
    [...commentKeys.lists(), "infinite", params] as const,
  details: () => [...commentKeys.all, "detail"] as const,
  detail: (id: number) => [...commentKeys.details(), id] as const,
};

/** GET /api/comments: a page of comments. */
export function listComments(
  params: CommentListParams = {},
  options?: CallOptions,
): Promise<CommentPage> {
  return request<CommentPage>("GET", "/api/comments", {
    ...options,
    query: params,
  });
}

/** GET /api/comments/{id}: a comment. */
export function getComment(id: number, options?: CallOptions): Promise<Comment> {
  return request<Comment>("GET", `/api/comments/${id}`, options);
}

/** POST /api/comments: creates a comment and answers it. */
export function createComment(
  body: CommentInput,
  options?: CallOptions,
): Promise<Comment> {
  return request<Comment>("POST", "/api/comments", { ...options, body });
}

/** DELETE /api/comments/{id}: deletes a comment. */
export function deleteComment(id: number, options?: CallOptions): Promise<void> {
  return request<void>("DELETE", `/api/comments/${id}`, options);
}

/** A page of comments, cached under commentKeys.list(params). */
export function useListComments(
  params: CommentListParams = {},
  options?: QueryOptions<CommentPage>,
) {
  return useQuery<CommentPage, ApiError>({
    ...options,
    queryKey: commentKeys.list(params),
    queryFn: ({ signal }) => listComments(params, { signal }),
  });
}

/**
 * Every page of comments, one cursor after the other: fetchNextPage() reads the
 * next while hasNextPage; data.pages holds them.
 */
export function useListCommentsInfinite(
  params: Omit<CommentListParams, "cursor" | "offset"> = {},
  options?: InfiniteOptions<CommentPage>,
) {
  return useInfiniteQuery<
    CommentPage,
    ApiError,
    InfiniteData<CommentPage, string | null>,
    readonly unknown[],
    string | null
  >({
    ...options,
    queryKey: commentKeys.infinite(params),
    queryFn: ({ pageParam, signal }) =>
      listComments({ ...params, cursor: pageParam ?? undefined }, { signal }),
    initialPageParam: null,
    getNextPageParam: (page) => page.next,
  });
}

/** Reads a comment, cached under commentKeys.detail(id). */
export function useGetComment(id: number, options?: QueryOptions<Comment>) {
  return useQuery<Comment, ApiError>({
    ...options,
    queryKey: commentKeys.detail(id),
    queryFn: ({ signal }) => getComment(id, { signal }),
  });
}

/** Creates a comment; every list of comments is refetched. */
export function useCreateComment(options?: MutationOptions<Comment, CommentInput>) {
  const queryClient = useQueryClient();
  return useMutation<Comment, ApiError, CommentInput>({
    ...options,
    mutationFn: (body) => createComment(body),
    onSuccess: async (row, ...rest) => {
      await queryClient.invalidateQueries({ queryKey: commentKeys.lists() });
      await options?.onSuccess?.(row, ...rest);
    },
  });
}

/** Deletes a comment; its detail is dropped and every list refetched. */
export function useDeleteComment(options?: MutationOptions<void, number>) {
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, number>({
    ...options,
    mutationFn: (id) => deleteComment(id),
    onSuccess: async (nothing, id, ...rest) => {
      queryClient.removeQueries({ queryKey: commentKeys.detail(id) });
      await queryClient.invalidateQueries({ queryKey: commentKeys.lists() });
      await options?.onSuccess?.(nothing, id, ...rest);
    },
  });
}

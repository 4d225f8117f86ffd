/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* comments: the API of models/comment.toml (/api/comments). */
import { createCall, deleteCall, getCall, listCall } from "./client";
import {
  createMutation,
  deleteMutation,
  infiniteListQuery,
  listQuery,
  queryKeys,
  rowQuery,
} from "./query";
import type {
  Comment,
  CommentInput,
  CommentListParams,
  CommentPage,
} from "./types";

/** The query keys of comments (QueryKeys, query.ts). */
export const commentKeys = queryKeys<CommentListParams>("comments");

/** GET /api/comments: a page of comments. */
export const listComments =
  listCall<CommentListParams, CommentPage>("/api/comments");
/** GET /api/comments/{id}: a comment. */
export const getComment = getCall<Comment>("/api/comments");
/** POST /api/comments: creates a comment and answers it. */
export const createComment = createCall<CommentInput, Comment>("/api/comments");
/** DELETE /api/comments/{id}: deletes a comment. */
export const deleteComment = deleteCall("/api/comments");

/** A page of comments, cached under commentKeys.list(params). */
export const useListComments = listQuery(commentKeys, listComments);
/** Every page of comments, one cursor after the other. */
export const useListCommentsInfinite =
  infiniteListQuery(commentKeys, listComments);
/** Reads a comment, cached under commentKeys.detail(id). */
export const useGetComment = rowQuery(commentKeys, getComment);
/** Creates a comment; every list of comments is refetched. */
export const useCreateComment = createMutation(commentKeys, createComment);
/** Deletes a comment; its detail is dropped and every list refetched. */
export const useDeleteComment = deleteMutation(commentKeys, deleteComment);

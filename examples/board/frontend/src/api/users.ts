/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* users: the API of models/user.toml (/api/users). */
import {
  useInfiniteQuery,
  useQuery,
  type InfiniteData,
} from "@tanstack/react-query";

import { request, type ApiError, type CallOptions } from "./client";
import type { User, UserListParams, UserPage } from "./types";
import type { InfiniteOptions, QueryOptions } from "./query";

/**
 * The query keys of users. Invalidate userKeys.all to refetch
 * everything about them, userKeys.lists() for every list, userKeys.detail(id)
 * for one row.
 */
export const userKeys = {
  all: ["users"] as const,
  lists: () => [...userKeys.all, "list"] as const,
  list: (params: UserListParams = {}) =>
    [...userKeys.lists(), params] as const,
  infinite: (params: UserListParams = {}) =>
    [...userKeys.lists(), "infinite", params] as const,
  details: () => [...userKeys.all, "detail"] as const,
  detail: (id: number) => [...userKeys.details(), id] as const,
};

/** GET /api/users: a page of users. */
export function listUsers(
  params: UserListParams = {},
  options?: CallOptions,
): Promise<UserPage> {
  return request<UserPage>("GET", "/api/users", {
    ...options,
    query: params,
  });
}

/** GET /api/users/{id}: an user. */
export function getUser(id: number, options?: CallOptions): Promise<User> {
  return request<User>("GET", `/api/users/${id}`, options);
}

/** A page of users, cached under userKeys.list(params). */
export function useListUsers(
  params: UserListParams = {},
  options?: QueryOptions<UserPage>,
) {
  return useQuery<UserPage, ApiError>({
    ...options,
    queryKey: userKeys.list(params),
    queryFn: ({ signal }) => listUsers(params, { signal }),
  });
}

/**
 * Every page of users, one cursor after the other: fetchNextPage() reads the
 * next while hasNextPage; data.pages holds them.
 */
export function useListUsersInfinite(
  params: Omit<UserListParams, "cursor" | "offset"> = {},
  options?: InfiniteOptions<UserPage>,
) {
  return useInfiniteQuery<
    UserPage,
    ApiError,
    InfiniteData<UserPage, string | null>,
    readonly unknown[],
    string | null
  >({
    ...options,
    queryKey: userKeys.infinite(params),
    queryFn: ({ pageParam, signal }) =>
      listUsers({ ...params, cursor: pageParam ?? undefined }, { signal }),
    initialPageParam: null,
    getNextPageParam: (page) => page.next,
  });
}

/** Reads an user, cached under userKeys.detail(id). */
export function useGetUser(id: number, options?: QueryOptions<User>) {
  return useQuery<User, ApiError>({
    ...options,
    queryKey: userKeys.detail(id),
    queryFn: ({ signal }) => getUser(id, { signal }),
  });
}

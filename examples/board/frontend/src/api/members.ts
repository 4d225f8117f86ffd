/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* members: the API of models/member.toml (/api/members). */
import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
} from "@tanstack/react-query";

import { request, type ApiError, type CallOptions } from "./client";
import type {
  Member,
  MemberInput,
  MemberListParams,
  MemberPage,
} from "./types";
import type { InfiniteOptions, MutationOptions, QueryOptions } from "./query";

/**
 * The query keys of members. Invalidate memberKeys.all to refetch
 * everything about them, memberKeys.lists() for every list, memberKeys.detail(id)
 * for one row.
 */
export const memberKeys = {
  all: ["members"] as const,
  lists: () => [...memberKeys.all, "list"] as const,
  list: (params: MemberListParams = {}) =>
    [...memberKeys.lists(), params] as const,
  infinite: (params: MemberListParams = {}) =>
    [...memberKeys.lists(), "infinite", params] as const,
  details: () => [...memberKeys.all, "detail"] as const,
  detail: (id: number) => [...memberKeys.details(), id] as const,
};

/** GET /api/members: a page of members. */
export function listMembers(
  params: MemberListParams = {},
  options?: CallOptions,
): Promise<MemberPage> {
  return request<MemberPage>("GET", "/api/members", {
    ...options,
    query: params,
  });
}

/** GET /api/members/{id}: a member. */
export function getMember(id: number, options?: CallOptions): Promise<Member> {
  return request<Member>("GET", `/api/members/${id}`, options);
}

/** POST /api/members: creates a member and answers it. */
export function createMember(
  body: MemberInput,
  options?: CallOptions,
): Promise<Member> {
  return request<Member>("POST", "/api/members", { ...options, body });
}

/** DELETE /api/members/{id}: deletes a member. */
export function deleteMember(id: number, options?: CallOptions): Promise<void> {
  return request<void>("DELETE", `/api/members/${id}`, options);
}

/** A page of members, cached under memberKeys.list(params). */
export function useListMembers(
  params: MemberListParams = {},
  options?: QueryOptions<MemberPage>,
) {
  return useQuery<MemberPage, ApiError>({
    ...options,
    queryKey: memberKeys.list(params),
    queryFn: ({ signal }) => listMembers(params, { signal }),
  });
}

/**
 * Every page of members, one cursor after the other: fetchNextPage() reads the
 * next while hasNextPage; data.pages holds them.
 */
export function useListMembersInfinite(
  params: Omit<MemberListParams, "cursor" | "offset"> = {},
  options?: InfiniteOptions<MemberPage>,
) {
  return useInfiniteQuery<
    MemberPage,
    ApiError,
    InfiniteData<MemberPage, string | null>,
    readonly unknown[],
    string | null
  >({
    ...options,
    queryKey: memberKeys.infinite(params),
    queryFn: ({ pageParam, signal }) =>
      listMembers({ ...params, cursor: pageParam ?? undefined }, { signal }),
    initialPageParam: null,
    getNextPageParam: (page) => page.next,
  });
}

/** Reads a member, cached under memberKeys.detail(id). */
export function useGetMember(id: number, options?: QueryOptions<Member>) {
  return useQuery<Member, ApiError>({
    ...options,
    queryKey: memberKeys.detail(id),
    queryFn: ({ signal }) => getMember(id, { signal }),
  });
}

/** Creates a member; every list of members is refetched. */
export function useCreateMember(options?: MutationOptions<Member, MemberInput>) {
  const queryClient = useQueryClient();
  return useMutation<Member, ApiError, MemberInput>({
    ...options,
    mutationFn: (body) => createMember(body),
    onSuccess: async (row, ...rest) => {
      await queryClient.invalidateQueries({ queryKey: memberKeys.lists() });
      await options?.onSuccess?.(row, ...rest);
    },
  });
}

/** Deletes a member; its detail is dropped and every list refetched. */
export function useDeleteMember(options?: MutationOptions<void, number>) {
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, number>({
    ...options,
    mutationFn: (id) => deleteMember(id),
    onSuccess: async (nothing, id, ...rest) => {
      queryClient.removeQueries({ queryKey: memberKeys.detail(id) });
      await queryClient.invalidateQueries({ queryKey: memberKeys.lists() });
      await options?.onSuccess?.(nothing, id, ...rest);
    },
  });
}

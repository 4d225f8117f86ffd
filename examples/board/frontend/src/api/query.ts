/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* The hooks of a model's API, made once per model by its file from its
   calls (client.ts), and the options they take. */
import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
  type QueryClient,
  type UseInfiniteQueryOptions,
  type UseInfiniteQueryResult,
  type UseMutationOptions,
  type UseMutationResult,
  type UseQueryOptions,
  type UseQueryResult,
} from "@tanstack/react-query";

import type { ApiError, CallOptions } from "./client";

/** A query hook's options: enabled, staleTime, refetchInterval... */
export type QueryOptions<T> = Omit<
  UseQueryOptions<T, ApiError>,
  "queryKey" | "queryFn"
>;

/** An infinite list hook's options (its pages come from next). */
export type InfiniteOptions<T> = Omit<
  UseInfiniteQueryOptions<
    T,
    ApiError,
    InfiniteData<T, string | null>,
    readonly unknown[],
    string | null
  >,
  "queryKey" | "queryFn" | "initialPageParam" | "getNextPageParam"
>;

/** A mutation hook's options: onSuccess (called after the cache is updated),
    onError, onSettled... */
export type MutationOptions<T, V> = Omit<
  UseMutationOptions<T, ApiError, V>,
  "mutationFn"
>;

/** An infinite list's parameters: its pages set the cursor themselves. */
export type InfiniteParams<P> = Partial<Omit<P, "cursor" | "offset">>;

/**
 * The query keys of a model's rows, a tree: all holds lists() and
 * details(); lists() holds every list(params) and infinite(params);
 * details() every detail(id). Invalidating a key refetches every query
 * under it.
 */
export interface QueryKeys<P> {
  readonly all: readonly [string];
  lists(): readonly [string, "list"];
  list(params?: P): readonly [string, "list", Partial<P>];
  infinite(
    params?: InfiniteParams<P>,
  ): readonly [string, "list", "infinite", InfiniteParams<P>];
  details(): readonly [string, "detail"];
  detail(id: number): readonly [string, "detail", number];
}

/** The query keys of the rows named name ("tasks"), listed with params P. */
export function queryKeys<P extends object>(name: string): QueryKeys<P> {
  return {
    all: [name],
    lists: () => [name, "list"],
    list: (params) => [name, "list", params ?? {}],
    infinite: (params) => [name, "list", "infinite", params ?? {}],
    details: () => [name, "detail"],
    detail: (id) => [name, "detail", id],
  };
}

/** The hook of list: a page of rows, cached under keys.list(params). */
export function listQuery<P extends object, R>(
  keys: QueryKeys<P>,
  list: (params?: P, options?: CallOptions) => Promise<R>,
) {
  return function useList(
    params?: P,
    options?: QueryOptions<R>,
  ): UseQueryResult<R, ApiError> {
    return useQuery<R, ApiError>({
      ...options,
      queryKey: keys.list(params),
      queryFn: ({ signal }) => list(params, { signal }),
    });
  };
}

/**
 * The infinite hook of list: every page of rows, one cursor after the
 * other. fetchNextPage() reads the next while hasNextPage; data.pages holds
 * them.
 */
export function infiniteListQuery<
  P extends object,
  R extends { next: string | null },
>(
  keys: QueryKeys<P>,
  list: (
    params: InfiniteParams<P> & { cursor?: string },
    options?: CallOptions,
  ) => Promise<R>,
) {
  return function useListInfinite(
    params: InfiniteParams<P> = {},
    options?: InfiniteOptions<R>,
  ): UseInfiniteQueryResult<InfiniteData<R, string | null>, ApiError> {
    return useInfiniteQuery<
      R,
      ApiError,
      InfiniteData<R, string | null>,
      readonly unknown[],
      string | null
    >({
      ...options,
      queryKey: keys.infinite(params),
      queryFn: ({ pageParam, signal }) =>
        list({ ...params, cursor: pageParam ?? undefined }, { signal }),
      initialPageParam: null,
      getNextPageParam: (page) => page.next,
    });
  };
}

/** The hook of get: a row, cached under keys.detail(id). */
export function rowQuery<P, R>(
  keys: QueryKeys<P>,
  get: (id: number, options?: CallOptions) => Promise<R>,
) {
  return function useGet(
    id: number,
    options?: QueryOptions<R>,
  ): UseQueryResult<R, ApiError> {
    return useQuery<R, ApiError>({
      ...options,
      queryKey: keys.detail(id),
      queryFn: ({ signal }) => get(id, { signal }),
    });
  };
}

/**
 * A mutation that brings the cache up to date with refresh once mutate
 * succeeded, before the caller's own onSuccess runs (so that what it shows
 * next is current).
 */
function useRefreshingMutation<R, V>(
  mutate: (vars: V) => Promise<R>,
  refresh: (queryClient: QueryClient, vars: V) => Promise<unknown>,
  options: MutationOptions<R, V> | undefined,
): UseMutationResult<R, ApiError, V> {
  const queryClient = useQueryClient();
  return useMutation<R, ApiError, V>({
    ...options,
    mutationFn: (vars) => mutate(vars),
    onSuccess: async (data, vars, ...rest) => {
      await refresh(queryClient, vars);
      await options?.onSuccess?.(data, vars, ...rest);
    },
  });
}

/** The hook of create: every list is refetched once the row is made. */
export function createMutation<P, B, R>(
  keys: QueryKeys<P>,
  create: (body: B) => Promise<R>,
) {
  return function useCreate(
    options?: MutationOptions<R, B>,
  ): UseMutationResult<R, ApiError, B> {
    return useRefreshingMutation(
      (body) => create(body),
      (queryClient) =>
        queryClient.invalidateQueries({ queryKey: keys.lists() }),
      options,
    );
  };
}

/** The hook of update or patch: the row's detail and every list are
    refetched once it is changed. */
export function updateMutation<P, B, R>(
  keys: QueryKeys<P>,
  update: (id: number, body: B) => Promise<R>,
) {
  return function useUpdate(
    options?: MutationOptions<R, { id: number; body: B }>,
  ): UseMutationResult<R, ApiError, { id: number; body: B }> {
    return useRefreshingMutation(
      ({ id, body }) => update(id, body),
      (queryClient, { id }) =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: keys.lists() }),
          queryClient.invalidateQueries({ queryKey: keys.detail(id) }),
        ]),
      options,
    );
  };
}

/** The hook of delete: the row's detail is dropped and every list
    refetched. */
export function deleteMutation<P>(
  keys: QueryKeys<P>,
  remove: (id: number) => Promise<void>,
) {
  return function useDelete(
    options?: MutationOptions<void, number>,
  ): UseMutationResult<void, ApiError, number> {
    return useRefreshingMutation(
      (id) => remove(id),
      (queryClient, id) => {
        queryClient.removeQueries({ queryKey: keys.detail(id) });
        return queryClient.invalidateQueries({ queryKey: keys.lists() });
      },
      options,
    );
  };
}

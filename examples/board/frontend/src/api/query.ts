/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* The options the hooks take besides what they set themselves. */
import type {
  InfiniteData,
  UseInfiniteQueryOptions,
  UseMutationOptions,
  UseQueryOptions,
} from "@tanstack/react-query";

import type { ApiError } from "./client";

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

// The session: Kiln's login endpoints (docs/auth.md). The board serves
// this app itself, so the session cookie goes with every request and the
// generated client sends the CSRF token from the kiln_csrf cookie.
import {
  useMutation,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";
import { ApiError, request } from "./api";

export interface Me {
  id: number;
  username: string;
  name: string | null;
  roles: string[];
  permissions: string[];
}

export const meKey = ["auth", "me"] as const;

/** The user logged in: data, or an ApiError with status 401. */
export function useMe() {
  return useQuery<Me, ApiError>({
    queryKey: meKey,
    queryFn: ({ signal }) =>
      request<Me>("GET", "/api/auth/me", { signal }),
  });
}

export function useLogin() {
  const qc = useQueryClient();
  return useMutation<Me, ApiError, { login: string; password: string }>({
    mutationFn: (body) =>
      request<Me>("POST", "/api/auth/login", { body }),
    onSuccess: (me) => {
      qc.setQueryData(meKey, me);
      // what another user may have left in the cache
      void qc.resetQueries({ predicate: (q) => q.queryKey[0] !== "auth" });
    },
  });
}

export function useLogout() {
  const qc = useQueryClient();
  return useMutation<void, ApiError, void>({
    mutationFn: () =>
      request<void>("POST", "/api/auth/logout"),
    onSuccess: () => {
      // every query again: the user's data goes, me answers 401
      void qc.resetQueries();
    },
  });
}

/** Whether the user holds permission ("task.add"). */
export function can(me: Me, permission: string): boolean {
  const [model] = permission.split(".");
  return (
    me.permissions.includes("*") ||
    me.permissions.includes(permission) ||
    me.permissions.includes(`${model}.*`)
  );
}

/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* The fetch client every operation goes through. */

/** Where and how requests go; change it once with configure(). */
export interface ClientConfig {
  /** Put before every path: "" (this origin) or "https://api.example.com". */
  baseUrl: string;
  /** fetch's credentials: "same-origin" sends the session cookie to the
      page's origin, "include" to another one as well. */
  credentials: RequestCredentials;
  /** Headers sent with every request (Authorization...). */
  headers: Record<string, string>;
  /** The CSRF token sent in X-CSRF-Token with every unsafe method (POST,
      PUT, PATCH, DELETE) when the session cookie authenticates: by default
      the page's <meta name="csrf-token">, else Kiln's kiln_csrf cookie. */
  csrfToken: () => string | undefined;
}

/** The page's <meta name="csrf-token" content="...">, else the cookie
    kiln_csrf (__Host-kiln_csrf behind TLS) that Kiln sets beside the
    session's; none outside a browser. */
function pageCsrfToken(): string | undefined {
  if (typeof document === "undefined") return undefined;
  const meta = document.querySelector<HTMLMetaElement>(
    'meta[name="csrf-token"]',
  );
  if (meta?.content) return meta.content;
  for (const part of document.cookie.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === "kiln_csrf" || name === "__Host-kiln_csrf")
      return decodeURIComponent(value.join("="));
  }
  return undefined;
}

const config: ClientConfig = {
  baseUrl: "",
  credentials: "same-origin",
  headers: {},
  csrfToken: pageCsrfToken,
};

/** Methods that change nothing: no CSRF token is sent with them. */
const SAFE_METHODS = ["GET", "HEAD", "OPTIONS", "TRACE"];

/** Changes the settings given, for every request after it. */
export function configure(changes: Partial<ClientConfig>): void {
  Object.assign(config, changes);
}

/** One failing field or query parameter of a 422. */
export interface FieldError {
  /** The failing field, a JSON Pointer into the body: "/title". */
  pointer?: string;
  /** The failing query parameter ("limit"), for an error in the query. */
  parameter?: string;
  /** Stable and snake_case: "required", "too_long"... */
  code: string;
  /** For people. */
  detail: string;
}

/** An error as the API sends it (RFC 9457 problem details). */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
}

/** What every call throws for an answer that is not a success. */
export class ApiError extends Error {
  /** The HTTP status: 404, 409, 412, 422... */
  readonly status: number;
  /** The problem's title ("Unprocessable Content"), else the status text. */
  readonly title: string;
  readonly detail: string | undefined;
  /** Every failing field or query parameter (a 422); else empty. */
  readonly errors: readonly FieldError[];
  /** The problem as sent, when the answer was problem+json. */
  readonly problem: Problem | undefined;

  constructor(status: number, problem?: Problem, statusText = "") {
    const title = problem?.title ?? (statusText || `HTTP ${status}`);
    super(problem?.detail ? `${title}: ${problem.detail}` : title);
    this.name = "ApiError";
    this.status = status;
    this.title = title;
    this.detail = problem?.detail;
    this.errors = problem?.errors ?? [];
    this.problem = problem;
  }

  /** The errors of one field ("/title") or query parameter ("?limit"). */
  errorsAt(where: string): FieldError[] {
    return this.errors.filter((e) =>
      where.startsWith("?")
        ? e.parameter === where.slice(1)
        : e.pointer === where,
    );
  }
}

/** What a caller may add to any call. */
export interface CallOptions {
  /** Cancels the request (TanStack Query passes its own). */
  signal?: AbortSignal;
  /** Extra headers: If-Match: "<etag>" refuses a lost update with 412. */
  headers?: Record<string, string>;
  /** Sees the response before its body is read: its ETag, for If-Match. */
  onResponse?: (response: Response) => void;
}

/** A request: a query, and a JSON body or a form (for files). */
export interface RequestOptions extends CallOptions {
  /** Keys whose value is undefined or null are left out; a list is sent
      comma-separated. */
  query?: object;
  body?: unknown;
  /** The body's type when it is JSON (default application/json). */
  contentType?: string;
  /** Sent as multipart/form-data instead of body. */
  form?: object;
}

function queryString(query: object | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    params.append(key, Array.isArray(value) ? value.join(",") : `${value}`);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function formData(fields: object): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue;
      form.append(key, item instanceof Blob ? item : String(item));
    }
  }
  return form;
}

async function toError(response: Response): Promise<ApiError> {
  const type = response.headers.get("Content-Type") ?? "";
  let problem: Problem | undefined;
  if (/^application\/(problem\+)?json/i.test(type)) {
    try {
      problem = (await response.json()) as Problem;
    } catch {
      problem = undefined;
    }
  }
  return new ApiError(response.status, problem, response.statusText);
}

/**
 * Sends a request to the API and answers its JSON as T; throws ApiError for
 * an error status (and fetch's TypeError when the network fails).
 */
export async function request<T>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = {
    Accept: "application/json",
    ...config.headers,
    ...options.headers,
  };
  if (!SAFE_METHODS.includes(method.toUpperCase())) {
    const token = config.csrfToken();
    if (token !== undefined) headers["X-CSRF-Token"] = token;
  }
  let body: BodyInit | undefined;
  if (options.form !== undefined) {
    body = formData(options.form);
  } else if (options.body !== undefined) {
    headers["Content-Type"] = options.contentType ?? "application/json";
    body = JSON.stringify(options.body);
  }
  const url = config.baseUrl + path + queryString(options.query);
  const response = await fetch(url, {
    method,
    headers,
    body,
    credentials: config.credentials,
    signal: options.signal,
  });
  options.onResponse?.(response);
  if (!response.ok) throw await toError(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/*
 * The calls of a model's API, made once per model by its file:
 *
 *   export const listTasks = listCall<TaskListParams, TaskPage>("/api/tasks");
 *
 * path is the collection's ("/api/tasks"); a row's is path/{id}.
 */

/** GET path: a page of rows; params go in the query. */
export function listCall<P extends object, R>(path: string) {
  return function list(params?: P, options?: CallOptions): Promise<R> {
    return request<R>("GET", path, { ...options, query: params });
  };
}

/** GET path/{id}: a row. */
export function getCall<R>(path: string) {
  return function get(id: number, options?: CallOptions): Promise<R> {
    return request<R>("GET", `${path}/${id}`, options);
  };
}

/** POST path: creates a row from body and answers it. */
export function createCall<B, R>(path: string) {
  return function create(body: B, options?: CallOptions): Promise<R> {
    return request<R>("POST", path, { ...options, body });
  };
}

/** PUT path/{id}: replaces a row (pass If-Match in options.headers to
    refuse a lost update). */
export function updateCall<B, R>(path: string) {
  return function update(
    id: number,
    body: B,
    options?: CallOptions,
  ): Promise<R> {
    return request<R>("PUT", `${path}/${id}`, { ...options, body });
  };
}

/** PATCH path/{id}: changes the fields of body (a JSON merge patch). */
export function patchCall<B, R>(path: string) {
  return function patch(
    id: number,
    body: B,
    options?: CallOptions,
  ): Promise<R> {
    return request<R>("PATCH", `${path}/${id}`, {
      ...options,
      body,
      contentType: "application/merge-patch+json",
    });
  };
}

/** DELETE path/{id}: deletes a row. */
export function deleteCall(path: string) {
  return function remove(id: number, options?: CallOptions): Promise<void> {
    return request<void>("DELETE", `${path}/${id}`, options);
  };
}

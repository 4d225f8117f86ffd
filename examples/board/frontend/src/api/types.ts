/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* The types of the API's bodies and queries. */

/** A comment, as the API answers it. */
export interface Comment {
  id: number;
  task: number | Task;
  author: string;
  body: string;
  /** an RFC 3339 date-time, "2026-03-05T14:07:00.000Z" */
  created: string;
}

/**
 * A new comment, or its full replacement (PUT). The keys marked ? have
 * defaults or may be null.
 */
export interface CommentInput {
  task: number;
  author: string;
  body: string;
}

/**
 * A page of comments. next is the cursor of the following page (null at the
 * end, and always in offset mode); count, the number of matching rows, is
 * there in offset mode only.
 */
export interface CommentPage {
  items: Comment[];
  next: string | null;
  count?: number;
}

/** A key a list of comments may be sorted on, '-' first for descending. */
export type CommentOrdering =
  | "created"
  | "-created"
  | "id"
  | "-id";

/** A field ?expand= may embed: the referred row replaces its id. */
export type CommentExpand = "task";

/**
 * The query of a list of comments: every key is optional; a list is sent
 * comma-separated.
 */
export interface CommentListParams {
  /** Rows on a page: 1 to 100 (default 20). */
  limit?: number;
  /** The next of the previous page. */
  cursor?: string;
  /** Rows to skip: offset mode (the page then has count). */
  offset?: number;
  /** Sort keys, the first first (id always breaks ties). */
  ordering?: CommentOrdering | readonly CommentOrdering[];
  /** Referred rows to embed in place of their id. */
  expand?: CommentExpand | readonly CommentExpand[];
  task?: number;
  task__ne?: number;
  task__in?: readonly number[];
  author?: string;
  author__ne?: string;
  author__lt?: string;
  author__lte?: string;
  author__gt?: string;
  author__gte?: string;
  author__in?: readonly string[];
  author__contains?: string;
  author__icontains?: string;
}

/** A member, as the API answers it. */
export interface Member {
  id: number;
  project: number;
  /** The member */
  user: number;
}

/**
 * A new member, or its full replacement (PUT). The keys marked ? have
 * defaults or may be null.
 */
export interface MemberInput {
  project: number;
  /** The member */
  user: number;
}

/**
 * A page of members. next is the cursor of the following page (null at the
 * end, and always in offset mode); count, the number of matching rows, is
 * there in offset mode only.
 */
export interface MemberPage {
  items: Member[];
  next: string | null;
  count?: number;
}

/** A key a list of members may be sorted on, '-' first for descending. */
export type MemberOrdering =
  | "id"
  | "-id";

/**
 * The query of a list of members: every key is optional; a list is sent
 * comma-separated.
 */
export interface MemberListParams {
  /** Rows on a page: 1 to 100 (default 20). */
  limit?: number;
  /** The next of the previous page. */
  cursor?: string;
  /** Rows to skip: offset mode (the page then has count). */
  offset?: number;
  /** Sort keys, the first first (id always breaks ties). */
  ordering?: MemberOrdering | readonly MemberOrdering[];
  project?: number;
  project__ne?: number;
  project__in?: readonly number[];
  user?: number;
  user__ne?: number;
  user__in?: readonly number[];
}

/** A project, as the API answers it. A board of tasks, shared by a team */
export interface Project {
  id: number;
  /** Shown on the board */
  name: string;
  description: string | null;
  /** an RFC 3339 date-time, "2026-03-05T14:07:00.000Z" */
  created: string;
}

/**
 * A new project, or its full replacement (PUT). The keys marked ? have
 * defaults or may be null.
 */
export interface ProjectInput {
  /** Shown on the board */
  name: string;
  description?: string | null;
}

/**
 * A partial update of a project (JSON Merge Patch): only the keys given
 * change; null clears an optional field.
 */
export interface ProjectPatch {
  /** Shown on the board */
  name?: string;
  description?: string | null;
}

/**
 * A page of projects. next is the cursor of the following page (null at the
 * end, and always in offset mode); count, the number of matching rows, is
 * there in offset mode only.
 */
export interface ProjectPage {
  items: Project[];
  next: string | null;
  count?: number;
}

/** A key a list of projects may be sorted on, '-' first for descending. */
export type ProjectOrdering =
  | "name"
  | "-name"
  | "created"
  | "-created"
  | "id"
  | "-id";

/**
 * The query of a list of projects: every key is optional; a list is sent
 * comma-separated.
 */
export interface ProjectListParams {
  /** Rows on a page: 1 to 100 (default 20). */
  limit?: number;
  /** The next of the previous page. */
  cursor?: string;
  /** Rows to skip: offset mode (the page then has count). */
  offset?: number;
  /** Sort keys, the first first (id always breaks ties). */
  ordering?: ProjectOrdering | readonly ProjectOrdering[];
  /** Text looked for, ignoring case, in name. */
  search?: string;
}

/** A tag, as the API answers it. */
export interface Tag {
  id: number;
  /** Lower-case letters, digits and '-' */
  name: string;
}

/**
 * A new tag, or its full replacement (PUT). The keys marked ? have
 * defaults or may be null.
 */
export interface TagInput {
  /** Lower-case letters, digits and '-' */
  name: string;
}

/**
 * A page of tags. next is the cursor of the following page (null at the
 * end, and always in offset mode); count, the number of matching rows, is
 * there in offset mode only.
 */
export interface TagPage {
  items: Tag[];
  next: string | null;
  count?: number;
}

/** A key a list of tags may be sorted on, '-' first for descending. */
export type TagOrdering =
  | "name"
  | "-name"
  | "id"
  | "-id";

/**
 * The query of a list of tags: every key is optional; a list is sent
 * comma-separated.
 */
export interface TagListParams {
  /** Rows on a page: 1 to 100 (default 20). */
  limit?: number;
  /** The next of the previous page. */
  cursor?: string;
  /** Rows to skip: offset mode (the page then has count). */
  offset?: number;
  /** Sort keys, the first first (id always breaks ties). */
  ordering?: TagOrdering | readonly TagOrdering[];
  /** Text looked for, ignoring case, in name. */
  search?: string;
}

export type TaskStatus = "todo" | "doing" | "done";

/** Every TaskStatus, in the model's order (for a <select>). */
export const taskStatusValues: readonly TaskStatus[] = [
  "todo",
  "doing",
  "done",
];

export type TaskPriority = "low" | "normal" | "high";

/** Every TaskPriority, in the model's order (for a <select>). */
export const taskPriorityValues: readonly TaskPriority[] = [
  "low",
  "normal",
  "high",
];

/** A task, as the API answers it. */
export interface Task {
  id: number;
  project: number | Project;
  /** What needs doing */
  title: string;
  description: string | null;
  status: TaskStatus;
  priority: TaskPriority;
  /** a date, YYYY-MM-DD */
  due: string | null;
  /** Who does it */
  assignee: number | User | null;
  /** Hours (a decimal as text, "12.50") */
  estimate: string | null;
  tags: number[];
  /** an RFC 3339 date-time, "2026-03-05T14:07:00.000Z" */
  created: string;
  /** an RFC 3339 date-time, "2026-03-05T14:07:00.000Z" */
  updated: string;
}

/**
 * A new task, or its full replacement (PUT). The keys marked ? have
 * defaults or may be null.
 */
export interface TaskInput {
  project: number;
  /** What needs doing */
  title: string;
  description?: string | null;
  status?: TaskStatus;
  priority?: TaskPriority;
  /** a date, YYYY-MM-DD */
  due?: string | null;
  /** Who does it */
  assignee?: number | null;
  /** Hours (a decimal as text, "12.50") */
  estimate?: string | null;
  tags?: number[];
}

/**
 * A partial update of a task (JSON Merge Patch): only the keys given
 * change; null clears an optional field.
 */
export interface TaskPatch {
  project?: number;
  /** What needs doing */
  title?: string;
  description?: string | null;
  status?: TaskStatus;
  priority?: TaskPriority;
  /** a date, YYYY-MM-DD */
  due?: string | null;
  /** Who does it */
  assignee?: number | null;
  /** Hours (a decimal as text, "12.50") */
  estimate?: string | null;
  tags?: number[];
}

/**
 * A page of tasks. next is the cursor of the following page (null at the
 * end, and always in offset mode); count, the number of matching rows, is
 * there in offset mode only.
 */
export interface TaskPage {
  items: Task[];
  next: string | null;
  count?: number;
}

/** A key a list of tasks may be sorted on, '-' first for descending. */
export type TaskOrdering =
  | "due"
  | "-due"
  | "priority"
  | "-priority"
  | "title"
  | "-title"
  | "created"
  | "-created"
  | "id"
  | "-id";

/** A field ?expand= may embed: the referred row replaces its id. */
export type TaskExpand = "project" | "assignee";

/**
 * The query of a list of tasks: every key is optional; a list is sent
 * comma-separated.
 */
export interface TaskListParams {
  /** Rows on a page: 1 to 100 (default 20). */
  limit?: number;
  /** The next of the previous page. */
  cursor?: string;
  /** Rows to skip: offset mode (the page then has count). */
  offset?: number;
  /** Sort keys, the first first (id always breaks ties). */
  ordering?: TaskOrdering | readonly TaskOrdering[];
  /** Text looked for, ignoring case, in title or description. */
  search?: string;
  /** Referred rows to embed in place of their id. */
  expand?: TaskExpand | readonly TaskExpand[];
  status?: TaskStatus;
  status__ne?: TaskStatus;
  status__in?: readonly TaskStatus[];
  priority?: TaskPriority;
  priority__ne?: TaskPriority;
  priority__in?: readonly TaskPriority[];
  due?: string;
  due__ne?: string;
  due__lt?: string;
  due__lte?: string;
  due__gt?: string;
  due__gte?: string;
  due__in?: readonly string[];
  due__isnull?: boolean;
  project?: number;
  project__ne?: number;
  project__in?: readonly number[];
  assignee?: number;
  assignee__ne?: number;
  assignee__in?: readonly number[];
  assignee__isnull?: boolean;
}

/** A user, as the API answers it. */
export interface User {
  id: number;
  username: string | null;
  email: string;
  name: string;
  active: boolean;
  staff: boolean;
  superuser: boolean;
  /** an RFC 3339 date-time, "2026-03-05T14:07:00.000Z" */
  last_login: string | null;
  /** an RFC 3339 date-time, "2026-03-05T14:07:00.000Z" */
  created: string;
}

/**
 * A page of users. next is the cursor of the following page (null at the
 * end, and always in offset mode); count, the number of matching rows, is
 * there in offset mode only.
 */
export interface UserPage {
  items: User[];
  next: string | null;
  count?: number;
}

/** A key a list of users may be sorted on, '-' first for descending. */
export type UserOrdering =
  | "username"
  | "-username"
  | "id"
  | "-id";

/**
 * The query of a list of users: every key is optional; a list is sent
 * comma-separated.
 */
export interface UserListParams {
  /** Rows on a page: 1 to 100 (default 20). */
  limit?: number;
  /** The next of the previous page. */
  cursor?: string;
  /** Rows to skip: offset mode (the page then has count). */
  offset?: number;
  /** Sort keys, the first first (id always breaks ties). */
  ordering?: UserOrdering | readonly UserOrdering[];
}

/** The path parameters of the endpoint project_tasks. */
export interface ProjectTasksPath {
  id: number;
}

export type ProjectTasksQueryStatus = "todo" | "doing" | "done";

/** Every ProjectTasksQueryStatus, in the model's order (for a <select>). */
export const projectTasksQueryStatusValues: readonly ProjectTasksQueryStatus[] = [
  "todo",
  "doing",
  "done",
];

/** The query of the endpoint project_tasks. */
export interface ProjectTasksQuery {
  status?: ProjectTasksQueryStatus | null;
  limit?: number;
}

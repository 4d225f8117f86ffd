// A React component over the hooks and client `kiln types` wrote into
// api/ for the board project of tests/blackbox/test_types.py: it must
// compile under tsc --strict (see docs/typescript.md).
import { useState } from "react";
import {
  ApiError,
  configure,
  createTask,
  getTask,
  listTasks,
  patchTask,
  postPostsByIdLike,
  taskCommentKeys,
  taskKeys,
  taskStatusValues,
  useCreateTask,
  useCreateTaskComment,
  useDeleteTask,
  useGetTask,
  useListTaskComments,
  useListTasks,
  useListTasksInfinite,
  usePatchTask,
  type FieldError,
  type Project,
  type Task,
  type TaskComment,
  type TaskInput,
  type TaskListParams,
  type TaskPage,
  type TaskPatch,
  type TaskStatus,
} from "./api";

configure({ baseUrl: "http://127.0.0.1:8000", credentials: "include" });

const params: TaskListParams = {
  status__in: ["todo", "doing"],
  due__gte: "2026-01-01",
  ordering: ["-due", "title"],
  expand: "project",
  search: "docs",
  limit: 20,
};

export const keys: readonly unknown[][] = [
  [...taskKeys.all],
  [...taskKeys.lists()],
  [...taskKeys.list(params)],
  [...taskKeys.detail(3)],
  [...taskCommentKeys.list({ task: 3 })],
];

function projectName(task: Task): string {
  return typeof task.project === "number"
    ? `project ${task.project}`
    : task.project.name;
}

export function TaskList({ status }: { status: TaskStatus }) {
  const { data, error, isPending } = useListTasks({ status, limit: 10 });
  if (isPending) return <p>Loading</p>;
  if (error) return <p>{error.status}: {error.title}</p>;
  const page: TaskPage = data;
  return (
    <ul>
      {page.items.map((t) => (
        <li key={t.id}>
          {t.title} ({projectName(t)}, due {t.due ?? "never"})
        </li>
      ))}
    </ul>
  );
}

export function AllTasks() {
  const q = useListTasksInfinite({ ordering: "-due" });
  const rows: Task[] = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div>
      {rows.length} tasks
      {q.hasNextPage && (
        <button onClick={() => q.fetchNextPage()}>More</button>
      )}
    </div>
  );
}

export function TaskDetail({ id }: { id: number }) {
  const task = useGetTask(id, { staleTime: 10_000 });
  const patch = usePatchTask({
    onSuccess: (row: Task) => console.log("saved", row.id),
  });
  const remove = useDeleteTask();
  if (!task.data) return null;
  const done: TaskPatch = { status: "done", due: null };
  return (
    <div>
      <h1>{task.data.title}</h1>
      <button onClick={() => patch.mutate({ id, body: done })}>Done</button>
      <button onClick={() => remove.mutate(id)}>Delete</button>
    </div>
  );
}

export function NewTask({ project }: { project: Project }) {
  const [title, setTitle] = useState("");
  const create = useCreateTask();
  const errors: FieldError[] =
    create.error instanceof ApiError ? create.error.errorsAt("/title") : [];
  const input: TaskInput = { project: project.id, title, status: "todo" };
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate(input);
      }}
    >
      <input value={title} onChange={(e) => setTitle(e.target.value)} />
      <select>
        {taskStatusValues.map((s) => (
          <option key={s}>{s}</option>
        ))}
      </select>
      {errors.map((er) => (
        <p key={er.code}>{er.detail}</p>
      ))}
    </form>
  );
}

export async function plain(): Promise<number> {
  const page = await listTasks({ offset: 20, limit: 5 });
  const first = await getTask(page.items[0]?.id ?? 1, {
    headers: { "If-None-Match": '"abc"' },
  });
  const made = await createTask({ project: 1, title: "Write docs" });
  const liked: Project = await postPostsByIdLike({
    path: { id: first.id },
    query: { notify: true },
    body: { mood: "happy" },
  });
  try {
    await createTask({ project: 1, title: "" });
  } catch (e) {
    if (e instanceof ApiError && e.status === 422)
      return e.errors.length + liked.id + made.id + (page.count ?? 0);
  }
  return 0;
}

export function Comments({ task }: { task: number }) {
  const comments = useListTaskComments({ task, limit: 50 });
  const add = useCreateTaskComment({
    onError: (e) => console.log(e.status, e.errors.map((x) => x.pointer)),
  });
  const all: TaskComment[] = comments.data?.items ?? [];
  return (
    <div>
      {all.map((c) => (
        <p key={c.id}>{c.body}</p>
      ))}
      <button onClick={() => add.mutate({ task, body: "Me too" })}>Add</button>
    </div>
  );
}

// the If-Match example of docs/typescript.md
export async function rename(): Promise<void> {
  let etag = "";
  const task = await getTask(7, {
    onResponse: (r) => (etag = r.headers.get("ETag") ?? ""),
  });
  await patchTask(task.id, { title: "Renamed" }, {
    headers: { "If-Match": etag },
  });
}

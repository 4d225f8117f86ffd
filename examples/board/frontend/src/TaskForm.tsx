import { useState, type FormEvent, type ReactNode } from "react";
import {
  ApiError,
  taskPriorityValues,
  useCreateTask,
  useListUsers,
  type TaskPriority,
  type User,
} from "./api";

const empty = {
  title: "",
  due: "",
  estimate: "",
  priority: "normal",
  assignee: "",
};

// The name a user is shown by: its name, else its username.
export function userLabel(u: User): string {
  return u.name || u.username || `#${u.id}`;
}

// Adds a task to the project. The server checks it against the model
// (models/task.toml): a 422 lists every failing field, and each message
// shows under its field, found by its JSON Pointer. The assignee is one
// of the active users /api/users lists (every role may read it: user.view).
export function TaskForm({ project }: { project: number }) {
  const [form, setForm] = useState(empty);
  const users = useListUsers({ ordering: "username", limit: 100 });
  const create = useCreateTask({ onSuccess: () => setForm(empty) });
  const problem = create.error instanceof ApiError ? create.error : null;
  const set = (key: keyof typeof empty) => (value: string) =>
    setForm({ ...form, [key]: value });

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    create.mutate({
      project,
      title: form.title,
      priority: form.priority as TaskPriority,
      due: form.due || null,
      estimate: form.estimate || null,
      assignee: form.assignee ? Number(form.assignee) : null,
    });
  }

  return (
    <form id="new_task" onSubmit={submit} noValidate>
      <h2>New task</h2>
      <Field label="Title" name="title" problem={problem}>
        <input
          name="title"
          value={form.title}
          onChange={(e) => set("title")(e.target.value)}
        />
      </Field>
      <Field label="Priority" name="priority" problem={problem}>
        <select
          name="priority"
          value={form.priority}
          onChange={(e) => set("priority")(e.target.value)}
        >
          {taskPriorityValues.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </Field>
      <Field label="Due" name="due" problem={problem}>
        <input
          type="date"
          name="due"
          value={form.due}
          onChange={(e) => set("due")(e.target.value)}
        />
      </Field>
      <Field label="Assignee" name="assignee" problem={problem}>
        <select
          name="assignee"
          value={form.assignee}
          onChange={(e) => set("assignee")(e.target.value)}
        >
          <option value="">nobody yet</option>
          {(users.data?.items ?? [])
            .filter((u) => u.active)
            .map((u) => (
              <option key={u.id} value={String(u.id)}>
                {userLabel(u)}
              </option>
            ))}
        </select>
      </Field>
      <Field label="Estimate (hours)" name="estimate" problem={problem}>
        <input
          name="estimate"
          inputMode="decimal"
          value={form.estimate}
          onChange={(e) => set("estimate")(e.target.value)}
        />
      </Field>
      {problem && problem.status !== 422 && (
        <p className="error" role="alert">
          {problem.title}
        </p>
      )}
      <button type="submit" disabled={create.isPending}>
        Add task
      </button>
    </form>
  );
}

function Field({
  label,
  name,
  problem,
  children,
}: {
  label: string;
  name: string;
  problem: ApiError | null;
  children: ReactNode;
}) {
  const errors = problem?.errorsAt(`/${name}`) ?? [];
  return (
    <div className="field">
      <label>
        {label} {children}
      </label>
      {errors.map((err) => (
        <p key={err.code} className="error" data-field={name}>
          {err.detail}
        </p>
      ))}
    </div>
  );
}

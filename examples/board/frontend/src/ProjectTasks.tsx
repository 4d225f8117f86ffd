import { useEffect } from "react";
import { useQueryClient } from "@tanstack/react-query";
import {
  taskKeys,
  taskStatusValues,
  useGetProject,
  useListTasks,
  usePatchTask,
  type Task,
  type TaskStatus,
} from "./api";
import { TaskForm, userLabel } from "./TaskForm";

// A project's tasks in their three columns, each with its assignee
// (?expand=assignee: the user in place of its id). The board publishes every
// change of a task on the project's event stream (the same one its htmx
// page listens to): each event refetches the lists, so a task another
// user adds or moves shows here at once.
export function ProjectTasks({ id, canAdd }: { id: number; canAdd: boolean }) {
  const project = useGetProject(id);
  const tasks = useListTasks({
    project: id,
    ordering: "due",
    limit: 100,
    expand: "assignee",
  });
  useLiveTasks(id);
  if (project.error) return <p role="alert">{project.error.title}</p>;
  if (project.isPending || tasks.isPending) return <p>Loading…</p>;
  if (tasks.error) return <p role="alert">{tasks.error.title}</p>;
  return (
    <>
      <h1>{project.data.name}</h1>
      <div className="columns">
        {taskStatusValues.map((status) => (
          <Column
            key={status}
            status={status}
            tasks={tasks.data.items.filter((t) => t.status === status)}
          />
        ))}
      </div>
      {canAdd && <TaskForm project={id} />}
    </>
  );
}

function Column({ status, tasks }: { status: TaskStatus; tasks: Task[] }) {
  const patch = usePatchTask();
  const next: Record<TaskStatus, TaskStatus | null> = {
    todo: "doing",
    doing: "done",
    done: null,
  };
  const to = next[status];
  return (
    <section className="column" data-status={status}>
      <h2>{status}</h2>
      <ul>
        {tasks.map((t) => (
          <li key={t.id} className={`task ${t.priority}`}>
            <span className="title">{t.title}</span>
            {t.due && <span className="due">{t.due}</span>}
            {typeof t.assignee === "object" && t.assignee && (
              <span className="assignee">{userLabel(t.assignee)}</span>
            )}
            {to && (
              <button
                type="button"
                onClick={() => patch.mutate({ id: t.id, body: { status: to } })}
              >
                → {to}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function useLiveTasks(project: number) {
  const qc = useQueryClient();
  useEffect(() => {
    const events = new EventSource(`/api/projects/${project}/events`);
    events.addEventListener("task", () => {
      void qc.invalidateQueries({ queryKey: taskKeys.lists() });
    });
    return () => events.close();
  }, [project, qc]);
}

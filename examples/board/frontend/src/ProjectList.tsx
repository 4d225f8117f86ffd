import { useListProjects } from "./api";
import { Link } from "./router";

// GET /api/projects through its generated hook: only the projects the
// user is a member of (the board's row-level rule, api/_hooks/project.c).
export function ProjectList() {
  const { data, error, isPending } = useListProjects({ ordering: "name" });
  if (isPending) return <p>Loading…</p>;
  if (error) return <p role="alert">{error.title}</p>;
  return (
    <>
      <h1>Projects</h1>
      <ul className="projects">
        {data.items.map((p) => (
          <li key={p.id}>
            <Link to={`/projects/${p.id}`}>{p.name}</Link>
            {p.description && <p>{p.description}</p>}
          </li>
        ))}
        {data.items.length === 0 && <li className="empty">No project yet.</li>}
      </ul>
    </>
  );
}

import { can, useLogout, useMe, type Me } from "./auth";
import { Login } from "./Login";
import { ProjectList } from "./ProjectList";
import { ProjectTasks } from "./ProjectTasks";
import { Link, usePath } from "./router";

// The routes: /app/ the projects, /app/projects/ID a project's tasks and
// the form that adds one. Anyone not logged in gets the login form.
export function App() {
  const me = useMe();
  if (me.isPending) return <p>Loading…</p>;
  if (me.error?.status === 401) return <Login />;
  if (me.error) return <p role="alert">{me.error.title}</p>;
  return <Signed me={me.data} />;
}

function Signed({ me }: { me: Me }) {
  const path = usePath();
  const logout = useLogout();
  const project = /^\/projects\/(\d+)\/?$/.exec(path);
  let page;
  if (path === "/") page = <ProjectList />;
  else if (project?.[1])
    page = (
      <ProjectTasks id={Number(project[1])} canAdd={can(me, "task.add")} />
    );
  else
    page = (
      <>
        <h1>Not found</h1>
        <p>
          No page here. <Link to="/">The projects</Link>
        </p>
      </>
    );
  return (
    <>
      <header>
        <Link to="/">Board</Link>
        <span className="who">
          {me.name ?? me.username}
          <button type="button" onClick={() => logout.mutate()}>
            Log out
          </button>
        </span>
      </header>
      <main>{page}</main>
    </>
  );
}

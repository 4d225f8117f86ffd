import { useState, type FormEvent } from "react";
import { useLogin } from "./auth";

// Logs in through POST /api/auth/login: the answer sets the session
// cookie, which every later request carries (this app is served by the
// board itself: same origin).
export function Login() {
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const mutation = useLogin();
  const error = mutation.error;

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    mutation.mutate({ login, password });
  }

  return (
    <main>
      <h1>Log in</h1>
      <form onSubmit={submit} noValidate>
        <label>
          Login
          <input
            name="login"
            autoComplete="username"
            value={login}
            onChange={(e) => setLogin(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error.status === 401
              ? "Wrong login or password."
              : (error.errors[0]?.detail ?? error.title)}
          </p>
        )}
        <button type="submit" disabled={mutation.isPending}>
          Log in
        </button>
      </form>
    </main>
  );
}

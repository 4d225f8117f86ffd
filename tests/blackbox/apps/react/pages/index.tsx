// GET /: the list of posts its loader (index.c) gives, and a counter
// that works once the page is hydrated.
import { useState } from "react";

interface Post {
  id: number;
  title: string;
}

export default function Index(props: { title: string; posts: Post[]; motto: string }) {
  const [n, setN] = useState(0);
  return (
    <section>
      <h1>{props.title}</h1>
      <p className="motto">{props.motto}</p>
      <ul>
        {props.posts.map((p) => (
          <li key={p.id}>
            <a href={`/posts/${p.id}`}>{p.title}</a>
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => setN(n + 1)}>
        clicked {n}
      </button>
    </section>
  );
}

// GET /posts/{id}: one post.
export default function Post(props: { id: number; title: string; body: string }) {
  return (
    <article>
      <h1 className="post-title">{props.title}</h1>
      <p className="post-body">{props.body}</p>
      <a href="/">All posts</a>
    </article>
  );
}

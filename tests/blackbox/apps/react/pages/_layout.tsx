// The layout of every React page: what _layout.html is to templates.
import type { ReactNode } from "react";

export default function Layout(props: { page: string; children?: ReactNode }) {
  return (
    <div className="layout" data-page={props.page}>
      <nav>
        <a href="/">Home</a> <a href="/posts/1">First post</a>{" "}
        <a href="/posts/2">Second post</a> <a href="/about">About</a>
      </nav>
      <main>{props.children}</main>
    </div>
  );
}

// A component for tests/blackbox/test_ssr.py: plain ESM, no JSX build.
import { createElement as h } from "react";

export default function Greeting({ name = "world", items = [] }) {
  return h(
    "section",
    { className: "greeting" },
    h("h1", null, `Hello, ${name}!`),
    h(
      "ul",
      null,
      items.map((it) => h("li", { key: it.id }, it.title)),
    ),
  );
}

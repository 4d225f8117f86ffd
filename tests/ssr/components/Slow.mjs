// A component that takes ms milliseconds of CPU (default 300).
import { createElement as h } from "react";

export default function Slow({ ms = 300 }) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
  return h("p", null, `slow ${ms}`);
}

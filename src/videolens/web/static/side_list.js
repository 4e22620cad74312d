// A list in the sidebar (sessions, live streams): reading it, its rows, and the open one marked.

import { api } from "./api.js";
import { h, toast } from "./dom.js";

/**
 * Read ``path`` and show one ``row(item)`` per item of ``items(body)`` in ``list``, or ``empty``
 * saying ``emptyText``. A missing key is said in the list; other errors are toasted with
 * ``label`` (except a status in ``quiet``). Returns the items, or null when the read failed.
 */
export async function loadList({ path, list, empty, emptyText, label, items, row, quiet = [] }) {
  let body;
  try {
    body = await api(path);
  } catch (error) {
    if (error.status === 401) {
      list.replaceChildren();
      empty.textContent = "This server needs an API key: enter it at the top right.";
      empty.hidden = false;
    } else if (!quiet.includes(error.status)) {
      toast(`${label}: ${error.message}`);
    }
    return null;
  }
  const found = items(body);
  empty.textContent = emptyText;
  empty.hidden = found.length > 0;
  list.replaceChildren(...found.map(row));
  return found;
}

/** A row: a link to the item, with its name, a status badge and a line of details. */
export function listRow({ href, current, title, kind = "", dataset, name, status, sub }) {
  return h("li", {},
    h("a", {
      class: kind ? `session-item ${kind}` : "session-item", href,
      "aria-current": current ? "page" : null, title, dataset,
    },
    h("span", { class: "session-name" }, name),
    h("span", { class: "badge", dataset: { status } }, status),
    h("span", { class: "session-sub" }, sub)));
}

/** Show a row's new name, status and details in place. */
export function updateRow(link, { name, status, sub }) {
  link.querySelector(".session-name").textContent = name;
  const badge = link.querySelector(".badge");
  badge.textContent = status;
  badge.dataset.status = status;
  link.querySelector(".session-sub").textContent = sub;
}

/** Mark the row whose ``data-<key>`` is ``id`` as the open one (none for a null ``id``). */
export function markCurrent(list, key, id) {
  for (const link of list.querySelectorAll(".session-item")) {
    if (link.dataset[key] === id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

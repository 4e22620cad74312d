// "Ask the library": a question across every video (POST /v1/chat), answered as it streams; each
// checked ``[video title @ mm:ss]`` citation becomes a link that opens that video at that time.

import { answering, postQuestion, readAnswer, setupQuestionBox } from "./answer_stream.js";
import { apiError, needApiKey, readBody } from "./api.js";
import { $, h } from "./dom.js";

// As the server writes them: a title, " @ ", then mm:ss / h:mm:ss (a stream: its UTC date and time).
const CITATION = /\[([^[\]@\n]{1,200}?) @ ((?:\d{4}-\d{2}-\d{2} )?\d{1,2}:\d{2}(?::\d{2})?)\]/g;

const aui = { log: $("library-chat-log"), form: $("library-ask"), input: $("library-ask-input") };

/** Where a checked citation leads: its session at that time, or its stream; null if unchecked. */
function citationHref(citation, when) {
  if (!citation?.valid || !citation.video_id) return null;
  if (/^\d{4}-/.test(when)) return `#/streams/${citation.video_id}`;
  return `#/sessions/${citation.video_id}?t=${citation.at_s}`;
}

/**
 * ``text`` with its citations: links where ``citations`` (the server's checks) found the moment,
 * marked as not found where they did not; plain while the answer is still streaming (``checked``
 * false).
 */
export function withLibraryCitations(text, citations = [], checked = false) {
  const byText = new Map(citations.map((c) => [c.text, c]));
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(CITATION)) {
    if (!checked) break;
    const [whole, title, when] = match;
    const href = citationHref(byText.get(whole.slice(1, -1)), when);
    parts.push(text.slice(last, match.index));
    parts.push(href
      ? h("a", { class: "cite cite-link", href, title: `Open ${title} at ${when}` }, `${title} @ ${when}`)
      : h("span", { class: "cite-missing", title: "No such moment in your library" }, whole));
    last = match.index + whole.length;
  }
  parts.push(text.slice(last));
  return parts;
}

function message(role, ...content) {
  const el = h("div", { class: "chat-msg", dataset: { role } }, ...content);
  aui.log.append(el);
  el.scrollIntoView({ block: "nearest" });
  return el;
}

/** How the answer was made: from the index alone, or by a chat model. */
function madeBy(final) {
  if (!final?.mode) return null;
  const said = final.mode === "llm" ? `Answered by ${final.model || "the chat model"}` : "From the library index";
  return h("span", { class: "chat-source" }, said);
}

async function ask(question) {
  message("user", question);
  const answer = message("assistant", "…");
  await answering(answer, aui.form.querySelector("button"), "The question could not be asked.", async () => {
    const response = await postQuestion("/chat", { question });
    if (response.status === 401) needApiKey();
    if (!response.ok) throw apiError(response.status, await readBody(response));
    const { text, final } = await readAnswer(response, (sofar) => {
      answer.replaceChildren(...withLibraryCitations(sofar || "…"));
    });
    answer.replaceChildren(...withLibraryCitations(text || "No answer.", final?.citations, true));
    const source = madeBy(final);
    if (source) answer.append(source);
  });
}

export function setupLibraryAsk() {
  setupQuestionBox(aui.form, aui.input, ask);
}

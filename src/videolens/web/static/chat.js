// Chat about the video: streamed answers whose [mm:ss] citations seek the player.

import { answering, postQuestion, readAnswer, setupQuestionBox } from "./answer_stream.js";
import { apiError, readBody } from "./api.js";
import { clipLink } from "./clips.js";
import { h, toast, ui } from "./dom.js";
import { formatTime, parseTime } from "./format.js";
import { frameAt, seek } from "./player.js";
import { state } from "./state.js";
import { updateTabs } from "./tabs.js";

const CITATION = /\[(\d{1,2}(?::\d{2}){1,2})\]/g;
const MAX_CLIPS = 4; // an answer citing many moments offers clips of its first few

/** Text with ``[mm:ss]`` / ``[h:mm:ss]`` citations turned into buttons that seek the player. */
export function withCitations(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(CITATION)) {
    const seconds = parseTime(match[1]);
    if (Number.isNaN(seconds)) continue;
    parts.push(text.slice(last, match.index));
    parts.push(h("button", {
      type: "button", class: "cite", "aria-label": `Seek to ${match[1]}`,
      onclick: () => seek(seconds, frameAt(seconds)?.index ?? null),
    }, match[1]));
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

/** One line of clip links under a finished answer: each cited moment once, a few at most. */
function citedClips(text) {
  const times = [];
  for (const match of text.matchAll(CITATION)) {
    const seconds = parseTime(match[1]);
    if (!Number.isNaN(seconds) && !times.includes(seconds)) times.push(seconds);
  }
  if (!times.length) return null;
  return h("p", { class: "cite-clips" }, "Clips: ",
    times.slice(0, MAX_CLIPS).map((seconds) => clipLink(seconds, "cite-clip", formatTime(seconds))));
}

function chatMessage(role, text) {
  const el = h("div", { class: "chat-msg", dataset: { role } });
  el.replaceChildren(...withCitations(text));
  ui.chatLog.append(el);
  el.scrollIntoView({ block: "end" });
  return el;
}

async function ask(question) {
  const id = state.sessionId;
  chatMessage("user", question);
  const answer = chatMessage("assistant", "…");
  const show = (text) => { answer.replaceChildren(...withCitations(text || "…")); };
  await answering(answer, ui.chatForm.querySelector("button"), "The chat request failed.", async () => {
    const response = await postQuestion(`/sessions/${encodeURIComponent(id)}/chat`, { question });
    if (!response.ok) {
      const error = apiError(response.status, await readBody(response));
      // A 404 from a server without the chat route (rather than for a missing session).
      if (response.status === 404 && state.features.chat !== true) {
        state.features.chat = false;
        updateTabs();
        toast("Chat is not available on this server.");
        answer.remove();
        return;
      }
      throw error;
    }
    const { text } = await readAnswer(response, show);
    const clips = citedClips(text);
    if (clips) answer.append(clips);
  });
}

export function setupChat() {
  setupQuestionBox(ui.chatForm, ui.chatInput, ask);
}

// Show a model's answer while it is written, one checked sentence at a time.
//
// The question form names a streaming URL (data-stream-url) only when a model writes the
// answers. This module then sends the form there and reads one JSON event a line:
//   "sentence"  a sentence the server has already checked against the guidance;
//   "reset"     the model failed: forget what was shown (the extractive answer follows);
//   "done"      the final answer, rendered by the server from the answer page's template.
// Model text only ever becomes text nodes (textContent). The one piece of HTML inserted is
// the "done" fragment, which Jinja rendered and escaped on the server. On any problem the
// form is posted the ordinary way, so the citizen always gets the whole answer page.
// Without JavaScript none of this runs and the form posts as it always did.
import { initAll } from "../govuk/govuk-frontend.min.js";

const form = document.querySelector("form[data-stream-url]");

if (form && window.fetch && window.ReadableStream && window.TextDecoder) {
  let busy = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (busy) {
      return;
    }
    busy = true;
    streamAnswer(form).catch(() => postNormally(form));
  });
}

function postNormally(form) {
  HTMLFormElement.prototype.submit.call(form);
}

async function streamAnswer(form) {
  const live = liveAnswer(form);
  window.setTimeout(live.start, 0); // after the region is in the page, so it is announced
  const response = await fetch(form.dataset.streamUrl, {
    method: "POST",
    body: new URLSearchParams(new FormData(form)),
    headers: { Accept: "application/x-ndjson" },
    credentials: "same-origin",
  });
  const type = response.headers.get("content-type") || "";
  if (!response.ok || !type.startsWith("application/x-ndjson")) {
    throw new Error("no stream"); // a question the form refuses, a limit, an error page
  }
  for await (const event of readEvents(response.body)) {
    if (event.event === "sentence") {
      live.add(event.text, event.list_item);
    } else if (event.event === "reset") {
      live.clear();
    } else if (event.event === "done") {
      showAnswer(form, event);
      return;
    } else {
      throw new Error("the answer could not be finished");
    }
  }
  throw new Error("the stream ended before the answer");
}

// One parsed event per line of the response body, as the lines arrive.
async function* readEvents(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      break;
    }
    pending += decoder.decode(value, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop();
    for (const line of lines) {
      if (line.trim()) {
        yield JSON.parse(line);
      }
    }
  }
  pending += decoder.decode();
  if (pending.trim()) {
    yield JSON.parse(pending);
  }
}

// A polite live region under the form: a heading, what is happening, then the sentences.
// It is put in the page empty and filled a moment later: screen readers announce what is
// added to a live region that already exists.
function liveAnswer(form) {
  const region = element("div", "govuk-!-margin-top-6");
  region.id = "live-answer";
  region.setAttribute("aria-live", "polite");
  form.after(region);
  const sentences = element("div");
  return {
    start() {
      region.append(
        element("h2", "govuk-heading-m", form.dataset.streamHeading),
        element("p", "govuk-body", form.dataset.streamStatus),
        sentences,
      );
    },
    add(text, listItem) {
      const last = sentences.lastElementChild;
      if (listItem) {
        const list =
          last && last.tagName === "UL"
            ? last
            : sentences.appendChild(element("ul", "govuk-list govuk-list--bullet"));
        list.append(element("li", "", text));
      } else if (last && last.tagName === "P") {
        last.append(" " + text);
      } else {
        sentences.append(element("p", "govuk-body", text));
      }
    },
    clear() {
      sentences.replaceChildren();
    },
  };
}

function element(tag, className = "", text = "") {
  const made = document.createElement(tag);
  if (className) {
    made.className = className;
  }
  if (text) {
    made.textContent = text;
  }
  return made;
}

// Replace the question page's content with the answer page's, as /ask would show it.
function showAnswer(form, event) {
  const column = form.closest(".govuk-grid-column-two-thirds") || form.parentElement;
  const fragment = document.createElement("template");
  fragment.innerHTML = event.html; // rendered and escaped by the server's template
  column.replaceChildren(fragment.content);
  document.title = event.title + " – " + document.title;
  initAll(column);
  const heading = column.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

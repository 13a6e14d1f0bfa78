import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, seg } from "../api/client.ts";
import type { Project } from "../api/types.ts";
import { useAction } from "../lib/hooks.ts";
import { ErrorMessage } from "./error-message.tsx";
import { BusyButton } from "./ui.tsx";

/** Sets, changes or removes the password that protects preview URLs (write-only). */
export function PreviewPassword({ project, onSaved }: { project: Project; onSaved: (p: Project) => void }) {
  const [password, setPassword] = useState("");
  const [done, setDone] = useState("");
  const path = `/projects/${seg(project.name)}`;
  const save = useAction(async (value: string | null) => {
    setDone("");
    const { project: updated } = await api.patch<{ project: Project }>(path, { previewPassword: value });
    setPassword("");
    setDone(value === null ? "Preview URLs are public again." : "Preview URLs now ask for this password.");
    onSaved(updated);
  });
  return (
    <form
      class="card stack"
      aria-labelledby="preview-title"
      onSubmit={(e) => {
        e.preventDefault();
        void save.run(password);
      }}
    >
      <h2 id="preview-title">Preview password</h2>
      <p>
        {project.previewProtected
          ? "Preview and branch URLs ask for a password. It cannot be shown; set a new one to change it."
          : "Preview and branch URLs are public. Set a password (8 to 200 characters) to protect them."}{" "}
        Production is never protected.
      </p>
      <label>
        {project.previewProtected ? "New password" : "Password"}
        <input
          type="password"
          name="previewPassword"
          autocomplete="new-password"
          minLength={8}
          maxLength={200}
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <ErrorMessage error={save.error} />
      {done && (
        <p role="status" class="ok-line">
          {done}
        </p>
      )}
      <div class="actions">
        <BusyButton type="submit" busy={save.busy} busyLabel="Saving…">
          {project.previewProtected ? "Change password" : "Protect previews"}
        </BusyButton>
        {project.previewProtected && (
          <BusyButton class="danger" busy={save.busy} busyLabel="Saving…" onClick={() => void save.run(null)}>
            Remove protection
          </BusyButton>
        )}
      </div>
    </form>
  );
}

/** Deletes the project after the user types its name. */
export function DeleteProject({ project }: { project: Project }) {
  const { route } = useLocation();
  const [typed, setTyped] = useState("");
  const remove = useAction(async () => {
    await api.del(`/projects/${seg(project.name)}`);
    route("/");
  });
  return (
    <form
      class="card stack danger-zone"
      aria-labelledby="delete-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (typed === project.name) void remove.run();
      }}
    >
      <h2 id="delete-title">Delete this project</h2>
      <p>
        Deletes every deployment, its URLs and every stored file of <strong>{project.name}</strong>. This
        cannot be undone.
      </p>
      <label>
        Type <code>{project.name}</code> to confirm
        <input
          name="confirm"
          autocomplete="off"
          spellcheck={false}
          value={typed}
          onInput={(e) => setTyped(e.currentTarget.value)}
        />
      </label>
      <ErrorMessage error={remove.error} />
      <BusyButton
        type="submit"
        class="danger"
        busy={remove.busy}
        busyLabel="Deleting…"
        disabled={typed !== project.name}
      >
        Delete {project.name}
      </BusyButton>
    </form>
  );
}

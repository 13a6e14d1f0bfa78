import { describe, expect, it } from "vitest";
import { api, createProject, deploy, file, newUser } from "./helpers.ts";

describe("a POST without a body", () => {
  it("is accepted where every field is optional, as browsers send it", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const first = await deploy(token, project.id, [await file("index.html", "one")]);
    await deploy(token, project.id, [await file("index.html", "two")]);
    // What Chromium sends for fetch(url, { method: "POST" }): an empty body, no Content-Type.
    const res = await api(`/api/v1/projects/${project.id}/rollback`, {
      token,
      body: new Uint8Array(0),
      headers: { "Content-Length": "0" },
    });
    expect(res.status).toBe(200);
    const body = await res.json<{ deployment: { id: string } }>();
    expect(body.deployment.id).toBe(first.id);
  });

  it("still refuses a non-JSON body", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const res = await api(`/api/v1/projects/${project.id}/rollback`, {
      token,
      body: "deploymentId=x",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(415);
  });
});

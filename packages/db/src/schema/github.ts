// What the GitHub integration remembers between deliveries.
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { projects } from "./projects.ts";

/** GitHub webhook deliveries already handled, by `X-GitHub-Delivery`, so a redelivery does nothing twice. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    event: text("event").notNull(),
    outcome: text("outcome"),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [index("webhook_deliveries_received_idx").on(t.receivedAt)],
);

/** The one comment Miaobu keeps on a pull request per project, edited in place on each new commit. */
export const githubPullRequestComments = sqliteTable(
  "github_pull_request_comments",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    commentId: integer("comment_id").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.number] })],
);

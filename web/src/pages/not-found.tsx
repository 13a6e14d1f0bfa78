import { useTitle } from "../components/ui.tsx";

/** Any path the console does not know. */
export function NotFoundPage() {
  useTitle("Not found");
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. Go back to <a href="/">your projects</a>.
      </p>
    </section>
  );
}

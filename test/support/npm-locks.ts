// Lockfiles of fixture projects that install from the npm registry, as the package managers write them.

const IS_NUMBER = {
  version: "7.0.0",
  resolved: "https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz",
  integrity:
    "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==",
};

/** The package-lock.json (npm 7+) of a project `name` depending on is-number@7.0.0 exactly. */
export function isNumberNpmLock(name: string, version?: string): string {
  const root = version ? { name, version } : { name };
  const lock = {
    ...root,
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { ...root, dependencies: { "is-number": "7.0.0" } },
      "node_modules/is-number": { ...IS_NUMBER, engines: { node: ">=0.12.0" } },
    },
  };
  return `${JSON.stringify(lock, null, 2)}\n`;
}

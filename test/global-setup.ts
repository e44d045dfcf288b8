/** Starts the loopback fixture server (Node side) and hands its URL to the workerd tests. */
import type { TestProject } from "vitest/node";
import { startFixtureServer } from "./servers/fixtures";

declare module "vitest" {
  export interface ProvidedContext {
    fixturesUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const fixtures = await startFixtureServer();
  project.provide("fixturesUrl", fixtures.url);
  return () => fixtures.close();
}

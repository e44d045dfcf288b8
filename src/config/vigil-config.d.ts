declare module "vigil-config" {
  import type { ConfigSource } from "./index";
  const source: ConfigSource;
  export default source;
}

/** The part of validate-npm-package-name (npm's own rules for package names) the CLI uses; it ships no types. */
declare module 'validate-npm-package-name' {
  interface Result {
    readonly validForNewPackages: boolean;
    readonly validForOldPackages: boolean;
    readonly errors?: string[];
    readonly warnings?: string[];
  }
  export default function validate(name: string): Result;
}

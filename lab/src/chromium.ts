/** State of the lab's `chromium` service: Debian's Chromium, installed (no daemon; tests launch it headless). */
export interface ChromiumLabState {
  executablePath: string;
  version: string;
}

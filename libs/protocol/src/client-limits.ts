// What the server accepts, for clients to apply before sending (GET /limits); the server checks again regardless.
export interface ClientLimits {
  /** Characters in one chat message (MAX_MESSAGE_CHARS). */
  maxMessageChars: number;
  /** Characters in the studio's sample message (POST /personas/preview-prompt). */
  maxSampleMessageChars: number;
}

// Rate limits count per calendar minute (RateLimiter's fixed window). A test that spends a key's budget and expects
// the next request refused must do all of it inside one window, or the refusal it waits for goes to a fresh budget.

/** Waits for the next minute when less than `neededMs` of the current one is left. */
export async function withinOneRateWindow(neededMs = 15_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < neededMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

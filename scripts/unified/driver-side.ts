/**
 * Spec tests whose failure the Node driver decides before any server sees a command: the driver
 * sends something else than the test expects (or nothing where it expects a client-side error).
 * They fail against every server with this driver, MongoDB included, so the runner reports them
 * apart ("driver") from failures of the server under test — only when the failure is exactly the
 * expected one (`failure`), so any other failure of such a test still counts against the server.
 */

/** One known driver-side failure. */
export interface DriverSide {
  file: string;
  /** The test's description; absent: every test of the file. */
  test?: RegExp;
  /** What the runner must have reported for the failure to be this one. */
  failure: RegExp;
  reason: string;
}

export const DRIVER_SIDE: readonly DriverSide[] = [
  {
    file: 'bypassDocumentValidation.json',
    test: /passes bypassDocumentValidation: false$/,
    failure: /command\.bypassDocumentValidation: missing, expected false/,
    reason: 'the Node driver sends bypassDocumentValidation only when it is true (the command is compared as the driver sent it)',
  },
  {
    file: 'create-null-ids.json',
    test: /^inserting _id with type null via (insertOne|insertMany|bulkWrite)$/,
    failure: /countDocuments: result \(root\): expected 1, got 0/,
    reason: 'the Node driver replaces _id: null by a new ObjectId before it sends the insert (a raw insert command keeps null: this file\'s other tests pass)',
  },
  {
    file: 'estimatedDocumentCount.json',
    test: /on 4\.9\.0 or greater/,
    failure: /expected command aggregate, got count|expected an error, got result/,
    reason: 'the stored copy of this file predates the specification\'s return to `count`; the Node driver sends `count`, never the `$collStats` aggregate the test expects',
  },
  {
    file: 'unacknowledged-bulkWrite-delete-hint-clientError.json',
    failure: /expected an error, got result/,
    reason: 'the test expects the driver to refuse a hint on an unacknowledged write before sending it; the Node driver sends it',
  },
  {
    file: 'unacknowledged-updateOne-hint-clientError.json',
    failure: /expected an error, got result/,
    reason: 'the test expects the driver to refuse a hint on an unacknowledged write before sending it; the Node driver sends it',
  },
];

/** The known driver-side cause of a failure, if it is one. */
export function driverSideCause(file: string, test: string, failure: string): string | undefined {
  const known = DRIVER_SIDE.find((d) => d.file === file && (d.test === undefined || d.test.test(test)) && d.failure.test(failure));
  return known?.reason;
}

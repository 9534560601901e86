/** A prepared contender: setup is done, calling it lists the whole organization once. */
export type Listing = () => Promise<{ readonly items: number; readonly checksum: number }>

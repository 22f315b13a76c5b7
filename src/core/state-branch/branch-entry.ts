/** One entry of a state-branch tree listing, as the store's adapter reads it (`git ls-tree`). */
export interface BranchEntry {
  type: 'blob' | 'tree' | 'commit';
  /** object id: equal ids mean equal contents */
  oid: string;
  path: string;
}

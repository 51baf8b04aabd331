// minDistinctTeams needs a real matching: one person in two teams stands for one team, not two
// (docs/policies.md, "When a gate passes: quorum"). Counting the union of the approvers' teams would over-count exactly that case.

/**
 * The size of a maximum bipartite matching between approvers (one entry per approver: the teams
 * they belong to) and teams, i.e. how many different teams the approvers can stand for at once.
 * Kuhn's augmenting paths: O(approvers × edges), ample for the handful of approvals a gate sees.
 */
export function maxDistinctTeams(teamSets: readonly (readonly string[])[]): number {
  const n = teamSets.length;
  if (n === 0) return 0;
  const teamIndex = new Map<string, number>();
  const adjacency: number[][] = new Array<number[]>(n);
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    const teams = teamSets[i]!;
    for (let j = 0; j < teams.length; j++) {
      const id = teams[j]!;
      let k = teamIndex.get(id);
      if (k === undefined) {
        k = teamIndex.size;
        teamIndex.set(id, k);
      }
      if (!row.includes(k)) row.push(k);
    }
    adjacency[i] = row;
  }
  const teamCount = teamIndex.size;
  if (teamCount === 0) return 0;
  const holder = new Int32Array(teamCount).fill(-1);
  // Visited marks are stamped with the current search's number, so nothing is cleared between searches.
  const visitedIn = new Int32Array(teamCount);

  const augment = (approver: number, stamp: number): boolean => {
    const row = adjacency[approver]!;
    for (let j = 0; j < row.length; j++) {
      const team = row[j]!;
      if (visitedIn[team] === stamp) continue;
      visitedIn[team] = stamp;
      const current = holder[team]!;
      if (current === -1 || augment(current, stamp)) {
        holder[team] = approver;
        return true;
      }
    }
    return false;
  };

  let matched = 0;
  for (let i = 0; i < n && matched < teamCount; i++) if (augment(i, i + 1)) matched++;
  return matched;
}

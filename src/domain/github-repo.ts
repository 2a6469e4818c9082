/** What paperboy keeps of a GitHub repository, from either API. */
export interface GithubRepo {
  id: number;
  fullName: string;
  description: string | null;
  stars: number;
  forks: number;
  openIssues: number | null;
  language: string | null;
  licenseSpdx: string | null;
  topics: string[];
  archived: boolean;
  fork: boolean;
  defaultBranch: string | null;
  homepage: string | null;
  createdAt: string | null;
  pushedAt: string | null;
}

import type { PaperRecord } from './paper.ts';

/**
 * What one paper's own page (`/papers/<id>`) or its JSON twin
 * (`/api/papers/<id>`) says beyond a listing: the page's PaperContent props
 * and its "citing this paper" sections. Every field is null when the form
 * fetched does not carry it (the JSON form has no counts, no rank, no
 * submitter organization): null means "not observed", never zero, so an
 * observation without a field keeps the stored value.
 */
export interface PaperDetailRecord {
  /** Canonical id (see paper-id.ts). */
  id: string;
  /** The paper's rank on its daily page (`dailyPaperRank`). */
  dailyRank: number | null;
  /** Hugging Face name of the submitter's organization (`submitterOrganization.name`), e.g. "NationalUniversityofSingapore". */
  submitterOrganization: string | null;
  /** Who linked the GitHub repository (`paper.githubRepoAddedBy`: "user", "author", …). */
  githubRepoAddedBy: string | null;
  /** The counts the page's sections show: models, datasets and Spaces citing the paper, collections including it. */
  citingModels: number | null;
  citingDatasets: number | null;
  citingSpaces: number | null;
  collections: number | null;
  /**
   * The props (page) or the body (API) as received, without what is not the
   * product: the commenters' and upvoters' profiles are replaced by their
   * counts, and the viewer's own flags (upvoted, canSubmit, …) are left out.
   * Page: `{ paper, dailyPaperRank, submitterOrganization, numComments,
   * numUpvotersShown }` plus any field Hugging Face adds; API: the paper
   * object. `paper` keeps its own people, as a listing entry does: the
   * submitter (`submittedOnDailyBy`) and the authors' claimed profiles.
   */
  raw: unknown;
}

/**
 * A parsed paper page. `paper` goes through the same schema, mapping and
 * newest-observation-wins upsert as a listing's entry (its upvotes and
 * comment count feed the same history); `detail` is what only this page has.
 */
export interface ParsedPaperPage {
  origin: 'page' | 'api';
  paper: PaperRecord;
  detail: PaperDetailRecord;
  warnings: string[];
}

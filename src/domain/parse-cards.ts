import type { CheerioAPI } from 'cheerio';
import { canonicalPaperId } from './paper-id.ts';
import { collapseWhitespace, type ListedCard } from './paper.ts';

const PAPER_HREF = /^\/papers\/([^/?#]+)$/;

/**
 * Reads the `<article>` paper cards of a list page: id and title from the
 * card's heading link, upvotes from its vote box (a number in `.leading-none`,
 * or a dash for none), comments from its "#community" link. Cards carry no
 * abstract, authors or dates: they are a fallback when the data blob is
 * missing and a cross-check when it is not.
 *
 * A card without a paper link or a readable upvote count is skipped and
 * counted, never guessed.
 */
export function parsePaperCards($: CheerioAPI): { cards: ListedCard[]; unreadable: number } {
  const cards: ListedCard[] = [];
  let unreadable = 0;
  $('article').each((_, article) => {
    const card = $(article);
    const link = card.find('h3 a[href^="/papers/"]').first();
    const id = PAPER_HREF.exec(link.attr('href') ?? '')?.[1];
    const title = collapseWhitespace(link.text());
    // The vote box is the first `.leading-none` holding just a number or a dash ("Submitted by" shares the class).
    const upvotes =
      card
        .find('.leading-none')
        .toArray()
        .map((element) => voteCount($(element).text()))
        .find((value) => value !== null) ?? null;
    if (!id || title === '' || upvotes === null) {
      unreadable += 1;
      return;
    }
    const comments = wholeNumber(card.find('a[href$="#community"]').first().text());
    cards.push({
      rank: cards.length + 1,
      card: { id: canonicalPaperId(decodeURIComponent(id)), title, upvotes, numComments: comments },
    });
  });
  return { cards, unreadable };
}

/**
 * Hugging Face's current layout shows a paper nobody has upvoted yet as "-"
 * instead of 0: reading the dash as unreadable would skip every fresh paper.
 * Only a box holding nothing but the dash counts: "Submitted by …" and
 * other `.leading-none` text never does.
 */
const NO_VOTES = /^[-\u2013\u2014]$/;

function voteCount(text: string): number | null {
  return NO_VOTES.test(text.trim()) ? 0 : wholeNumber(text);
}

function wholeNumber(text: string): number | null {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}

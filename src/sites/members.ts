/**
 * Who holds which role on which site (`site_members`). The guard asks `roleOf` on every
 * request of a signed-in user, so the table is held in memory; writes go to the database
 * first, one at a time. Rows of a removed site go with it (SiteRegistry.remove deletes them,
 * `forgetSite` drops them here), a removed user's with the user (Users.remove, `forgetUser`).
 */
import type { Role } from '../auth/roles.js';
import { conflict } from '../errors.js';
import type { MetadataDb } from '../storage/metadata.js';
import { WriteQueue } from './write-queue.js';

export interface Member {
  userId: string;
  role: Role;
  /** ISO 8601. */
  createdAt: string;
}

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : String(d));

export class Members {
  /** site id → user id → membership */
  private readonly bySite = new Map<string, Map<string, Member>>();
  private readonly writes = new WriteQueue();

  private constructor(private readonly db: MetadataDb) {}

  static async open(db: MetadataDb): Promise<Members> {
    const store = new Members(db);
    const rows = await db.all<Record<string, unknown>>('SELECT site_id, user_id, role, created_at FROM site_members');
    for (const r of rows) {
      store.remember(String(r.site_id), { userId: String(r.user_id), role: r.role as Role, createdAt: iso(r.created_at) });
    }
    return store;
  }

  roleOf(siteId: string, userId: string): Role | undefined {
    return this.bySite.get(siteId)?.get(userId)?.role;
  }

  /** The site's members, oldest first. */
  list(siteId: string): Member[] {
    return [...(this.bySite.get(siteId)?.values() ?? [])].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /**
   * Gives the user `role` on the site (a member keeps the date they joined). The last owner
   * cannot be demoted: a site would be left with nobody but the super-admin to manage its members.
   */
  async set(siteId: string, userId: string, role: Role): Promise<Member> {
    return this.writes.run(async () => {
      if (role !== 'owner') this.refuseLastOwner(siteId, userId, 'demoted');
      const member: Member = {
        userId,
        role,
        createdAt: this.bySite.get(siteId)?.get(userId)?.createdAt ?? new Date().toISOString(),
      };
      await this.db.run('INSERT OR REPLACE INTO site_members VALUES ($1, $2, $3, $4::TIMESTAMP)', [
        siteId,
        userId,
        role,
        member.createdAt,
      ]);
      this.remember(siteId, member);
      return member;
    });
  }

  /** False when the user had no role on the site; the last owner cannot be removed (see `set`). */
  async remove(siteId: string, userId: string): Promise<boolean> {
    return this.writes.run(async () => {
      if (!this.bySite.get(siteId)?.has(userId)) return false;
      this.refuseLastOwner(siteId, userId, 'removed');
      await this.db.run('DELETE FROM site_members WHERE site_id = $1 AND user_id = $2', [siteId, userId]);
      this.bySite.get(siteId)?.delete(userId);
      return true;
    });
  }

  forgetSite(siteId: string): void {
    this.bySite.delete(siteId);
  }

  forgetUser(userId: string): void {
    for (const members of this.bySite.values()) members.delete(userId);
  }

  /** A 409 when the user is the site's only owner (checked inside the write queue, so two changes cannot both pass). */
  private refuseLastOwner(siteId: string, userId: string, what: 'demoted' | 'removed'): void {
    const members = this.bySite.get(siteId);
    if (members?.get(userId)?.role !== 'owner') return;
    const owners = [...members.values()].filter((m) => m.role === 'owner').length;
    if (owners === 1) throw conflict(`the last owner of ${siteId} cannot be ${what}: make another member owner first`);
  }

  private remember(siteId: string, member: Member): void {
    let members = this.bySite.get(siteId);
    if (!members) {
      members = new Map();
      this.bySite.set(siteId, members);
    }
    members.set(member.userId, member);
  }
}

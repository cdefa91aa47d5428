-- Images stored before has_transforms existed may have transforms kept in R2: mark every live
-- one, so removal still lists its prefix. New images start false and are marked before their
-- first transform is written.
UPDATE `images` SET `has_transforms` = 1 WHERE `removed_at` IS NULL;

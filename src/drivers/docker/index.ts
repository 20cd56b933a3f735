/** The docker driver's public surface (the CLI, the run and `simulate doctor` import from here). */
export { DockerDriver, missingImagesError, removeRun, REPO_DOCKER_DIR, type DockerDriverOptions } from './docker-driver.ts';
export { dockerAvailable, type EngineInfo } from './engine.ts';
export { dockerImagesReady, setupDockerImages, substitutionNote, roleFor, roleImage, type SetupResult } from './local-images.ts';
export { reapDockerRuns, type ReapResult } from './reap.ts';
export { copyImagesTo, type ImageCopy } from './remote-images.ts';
export { connectEngine, localEngine } from './engine.ts';
